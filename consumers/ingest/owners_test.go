package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// kvOwner reads a project's owner from the projects bucket ("" when none).
func (e *env) kvOwner(project string) string {
	e.t.Helper()
	kv, err := e.js.KeyValue(context.Background(), schema.ProjectsBucket)
	if err != nil {
		e.t.Fatal(err)
	}
	en, err := kv.Get(context.Background(), project)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return string(en.Value())
}

// storedOwners returns, by project, the departments of the stored
// registrations (every row written, not only the one FINAL keeps).
func (e *env) storedOwners() map[string][]string {
	e.t.Helper()
	rows, err := e.st.Conn().Query(context.Background(),
		"SELECT project_id, department_id FROM project_registrations GROUP BY project_id, department_id ORDER BY project_id, department_id")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var p, d string
		if err := rows.Scan(&p, &d); err != nil {
			e.t.Fatal(err)
		}
		out[p] = append(out[p], d)
	}
	return out
}

// finished is how many messages a replica has stored or dead-lettered.
func finished(r *running) uint64 {
	t := r.in.Stats().Total()
	return t.Accepted + t.Duplicate + t.Rejected
}

// TestRacingRegistrationsOnTwoReplicasHaveOneOwner: two ingest replicas
// share the durable consumer and take one message at a time, so the two
// registrations of a project by two departments, published at the same
// moment, are checked by different replicas at the same time — the
// takeover of issue 9, item 4. Round after round, exactly one department
// owns each project, in ClickHouse and in the projects bucket; the other
// registration is dead-lettered naming the owner; and both replicas then
// take only the owner's reports.
func TestRacingRegistrationsOnTwoReplicasHaveOneOwner(t *testing.T) {
	e := newEnv(t)
	cfg := fastConfig(t)
	cfg.BatchSize = 1
	a, b := e.start(cfg), e.start(cfg)

	const rounds = 40
	projectOf := func(i int) string { return fmt.Sprintf("race-%02d", i) }
	for i := range rounds {
		var wg sync.WaitGroup
		for _, dept := range []string{"dept-a", "dept-b"} {
			wg.Go(func() { e.publish(project(dept, projectOf(i))) })
		}
		wg.Wait()
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return finished(a)+finished(b) == 2*rounds },
		"registrations not finished: a %+v, b %+v", a.in.Stats(), b.in.Stats())
	if finished(a) == 0 || finished(b) == 0 {
		t.Fatalf("one replica checked every registration (a %d, b %d): the race was not run", finished(a), finished(b))
	}
	if acc, rej := a.in.Stats().Total().Accepted+b.in.Stats().Total().Accepted, a.in.Stats().Total().Rejected+b.in.Stats().Total().Rejected; acc != rounds || rej != rounds {
		t.Errorf("replicas accepted %d and rejected %d registrations, want %d each: one owner a project", acc, rej, rounds)
	}

	stored := e.storedOwners()
	owner := map[string]string{}
	for i := range rounds {
		p := projectOf(i)
		if len(stored[p]) != 1 {
			t.Errorf("%s: stored registrations by %v, want exactly one department", p, stored[p])
			continue
		}
		owner[p] = stored[p][0]
		if kv := e.kvOwner(p); kv != owner[p] {
			t.Errorf("%s: the projects bucket says %q, ClickHouse %q", p, kv, owner[p])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	rows, err := e.st.Conn().Query(context.Background(), "SELECT project_id, department_id, rule, reason_en, reason_zh FROM rejected_updates FINAL")
	if err != nil {
		t.Fatal(err)
	}
	rejected := map[string]int{}
	for rows.Next() {
		var p, d, rule, en, zh string
		if err := rows.Scan(&p, &d, &rule, &en, &zh); err != nil {
			t.Fatal(err)
		}
		rejected[p]++
		if d == owner[p] || rule != string(schema.RuleNotOwner) || !strings.Contains(en, `"`+owner[p]+`"`) || !strings.Contains(zh, owner[p]) {
			t.Errorf("%s: rejected %s's registration with %s %q / %q; want the other department's, not_owner, naming %s", p, d, rule, en, zh, owner[p])
		}
	}
	rows.Close()
	for i := range rounds {
		if n := rejected[projectOf(i)]; n != 1 {
			t.Errorf("%s: %d registrations dead-lettered, want 1", projectOf(i), n)
		}
	}

	// Both replicas know the one owner: a report from each department for
	// every project, spread over the replicas one at a time.
	before := finished(a) + finished(b)
	for i := range rounds {
		for _, dept := range []string{"dept-a", "dept-b"} {
			e.publish(report(dept, projectOf(i), "2025-09", 1, "10", "10"))
		}
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return finished(a)+finished(b) == before+2*rounds },
		"reports not finished: a %+v, b %+v", a.in.Stats(), b.in.Stats())
	for i := range rounds {
		p := projectOf(i)
		if n := e.count("SELECT count() FROM investment_reports FINAL WHERE project_id = ? AND department_id = ?", p, owner[p]); n != 1 {
			t.Errorf("%s: %d reports of the owner %s stored, want 1", p, n, owner[p])
		}
		if n := e.count("SELECT count() FROM investment_reports FINAL WHERE project_id = ? AND department_id != ?", p, owner[p]); n != 0 {
			t.Errorf("%s: %d reports of the other department stored, want 0", p, n)
		}
	}
	if n := e.count("SELECT count() FROM rejected_updates FINAL WHERE rule = 'not_owner'"); n != 2*rounds {
		t.Errorf("%d messages dead-lettered as not_owner, want %d (one registration and one report a project)", n, 2*rounds)
	}
}

// TestOwnersStoredBeforeTheBucketAreClaimedAtStart: a project registered
// before ownership was decided in the projects bucket (only ClickHouse
// knows it) is claimed for its department when ingest starts, so another
// department cannot take it over.
func TestOwnersStoredBeforeTheBucketAreClaimedAtStart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b, err := e.st.Conn().PrepareBatch(ctx, "INSERT INTO project_registrations (event_id, project_id, revision, department_id, received_at, stream_seq, keep_rank, ingested_at)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("old", "lingxi-reservoir", uint32(1), "slj", time.Now(), uint64(1), uint64(1), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	run := e.start(fastConfig(t))
	e.publish(project("fgj", "lingxi-reservoir"))
	e.publish(report("slj", "lingxi-reservoir", "2025-09", 1, "10", "10"))
	testenv.Eventually(t, 30*time.Second, func() bool { return finished(run) == 2 }, "not finished: %+v", run.in.Stats())
	if tot := run.in.Stats().Total(); tot.Accepted != 1 || tot.Rejected != 1 {
		t.Errorf("%+v: want fgj's registration rejected and slj's report accepted", tot)
	}
	if got := e.kvOwner("lingxi-reservoir"); got != "slj" {
		t.Errorf("owner in the bucket %q, want slj", got)
	}
}

// TestTransferProject: only an administrator moves a project, and every
// running replica follows at once: the new owner's reports are taken, the
// old owner's are dead-lettered.
func TestTransferProject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	run := e.start(fastConfig(t))
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	testenv.Eventually(t, 30*time.Second, func() bool { return finished(run) == 1 }, "registration not finished")

	if _, err := ingest.TransferProject(ctx, e.js, "no-such-project", "slj"); !errors.Is(err, ingest.ErrTransfer) || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("transfer of an unknown project: %v, want ErrTransfer saying it is not registered", err)
	}
	if _, err := ingest.TransferProject(ctx, e.js, "qingyuan-pumped-storage", "Not An Id"); !errors.Is(err, ingest.ErrTransfer) {
		t.Errorf("transfer to a bad department id: %v, want ErrTransfer", err)
	}
	from, err := ingest.TransferProject(ctx, e.js, "qingyuan-pumped-storage", "slj")
	if err != nil || from != "fgj" {
		t.Fatalf("transfer: from %q, %v; want from fgj", from, err)
	}
	// The watch reaches the replica; then the new owner's registration and
	// report are taken and the old owner's report is not.
	testenv.Eventually(t, 10*time.Second, func() bool { return ingest.KnownOwner(run.in, "qingyuan-pumped-storage") == "slj" },
		"the running replica never learnt of the transfer")
	e.publish(report("fgj", "qingyuan-pumped-storage", "2025-09", 1, "10", "10"))
	fix := project("slj", "qingyuan-pumped-storage")
	fix.Revision = 2
	e.publish(fix)
	e.publish(report("slj", "qingyuan-pumped-storage", "2025-10", 1, "10", "10"))
	testenv.Eventually(t, 30*time.Second, func() bool { return finished(run) == 4 }, "not finished: %+v", run.in.Stats())
	if tot := run.in.Stats().Total(); tot.Accepted != 3 || tot.Rejected != 1 {
		t.Errorf("%+v: want fgj's report after the transfer rejected, slj's registration and report accepted", tot)
	}
	var dept string
	if err := e.st.Conn().QueryRow(ctx, "SELECT department_id FROM projects WHERE project_id = ?", "qingyuan-pumped-storage").Scan(&dept); err != nil || dept != "slj" {
		t.Errorf("projects view: %q, %v; want slj", dept, err)
	}
}
