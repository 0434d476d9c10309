package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// totals are the figures the rollups read.
type totals struct {
	rows, rawRows          uint64
	monthSum, ytdSum       decimal.Decimal
	milestones, registered uint64
}

func (e *env) totals() totals {
	e.t.Helper()
	return totals{
		rows:       e.count("SELECT count() FROM investment_latest"),
		rawRows:    e.count("SELECT count() FROM investment_reports"),
		monthSum:   e.sum("SELECT toString(sum(month_completed_wan)) FROM investment_latest"),
		ytdSum:     e.sum("SELECT toString(sum(ytd_completed_wan)) FROM investment_latest"),
		milestones: e.count("SELECT count() FROM milestone_latest"),
		registered: e.count("SELECT count() FROM projects"),
	}
}

func (a totals) same(b totals) bool {
	return a.rows == b.rows && a.monthSum.Equal(b.monthSum) && a.ytdSum.Equal(b.ytdSum) && a.milestones == b.milestones && a.registered == b.registered
}

// portfolio is two projects of two departments with a year of reports.
func portfolio() (projects []*schema.Project, reports []schema.Event) {
	projects = []*schema.Project{project("fgj", "qingyuan-pumped-storage"), project("jtj", "yilongqing-expressway")}
	for _, p := range projects {
		ytd := decimal.Zero
		for m := 1; m <= 12; m++ {
			month := decimal.NewFromInt(int64(1000 * m)).Add(decimal.RequireFromString("0.0001"))
			ytd = ytd.Add(month)
			reports = append(reports, report(p.DepartmentID, p.ProjectID, fmt.Sprintf("2025-%02d", m), 1, month.String(), ytd.String()))
		}
		reports = append(reports, milestone(p.DepartmentID, p.ProjectID, "tunnel-through", 1))
	}
	return projects, reports
}

func TestRepublishedReportsAndCorrections(t *testing.T) {
	e := newEnv(t)
	projects, reports := portfolio()
	for _, p := range projects {
		e.publish(p)
	}
	for _, r := range reports {
		e.publish(r)
	}
	first := e.start(fastConfig(t))
	n := uint64(len(projects) + len(reports))
	testenv.Eventually(t, 30*time.Second, func() bool { return first.in.Stats().Total().Accepted == n },
		"first ingest: %+v, want %d accepted", first.in.Stats(), n)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	want := e.totals()
	if want.rows != 24 || want.milestones != 2 || want.registered != 2 {
		t.Fatalf("after the first ingest: %+v", want)
	}

	// Two replicas share the durable consumer. They know the owners only
	// from ClickHouse: the registrations were acknowledged already.
	a, b := e.start(fastConfig(t)), e.start(fastConfig(t))
	for _, r := range reports {
		// Same message id: JetStream itself drops the copy.
		if ack := e.publish(r); !ack.Duplicate {
			t.Fatalf("republishing %s with the same message id: JetStream stored it again (seq %d)", schema.EventID(r), ack.Sequence)
		}
		// A new message id (e.g. after the duplicate window): ingest must
		// see that the event is stored and not count it twice.
		e.publishRaw(schema.Subject(r), marshal(t, r), "again-"+schema.EventID(r))
	}
	dups := func() uint64 { return a.in.Stats().Total().Duplicate + b.in.Stats().Total().Duplicate }
	testenv.Eventually(t, 30*time.Second, func() bool { return dups() == uint64(len(reports)) },
		"replicas counted %d duplicates, want %d (a: %+v, b: %+v)", dups(), len(reports), a.in.Stats(), b.in.Stats())
	if got := e.totals(); !got.same(want) || got.rawRows != want.rawRows {
		t.Errorf("after republishing: %+v, want %+v", got, want)
	}
	if rej := a.in.Stats().Total().Rejected + b.in.Stats().Total().Rejected; rej != 0 {
		t.Errorf("replicas rejected %d republished reports; the owners must come from ClickHouse", rej)
	}

	// A correction: revision 2 of 2025-03 replaces the figure in
	// investment_latest; both revisions stay in investment_reports.
	fix := report("fgj", "qingyuan-pumped-storage", "2025-03", 2, "2500", "5500.0003")
	old := reports[2].(*schema.InvestmentReport)
	e.publish(fix)
	testenv.Eventually(t, 30*time.Second, func() bool {
		return e.count("SELECT count() FROM investment_latest WHERE project_id = ? AND period = ? AND revision = 2", "qingyuan-pumped-storage", "2025-03") == 1
	}, "revision 2 of 2025-03 never became the latest")
	var revs []uint32
	rows, err := e.st.Conn().Query(context.Background(),
		"SELECT revision FROM investment_reports FINAL WHERE project_id = ? AND period = ? ORDER BY revision", "qingyuan-pumped-storage", "2025-03")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r uint32
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		revs = append(revs, r)
	}
	rows.Close()
	if len(revs) != 2 || revs[0] != 1 || revs[1] != 2 {
		t.Errorf("revisions kept for 2025-03: %v, want [1 2]", revs)
	}
	got := e.totals()
	delta := decimal.RequireFromString("2500").Sub(old.MonthCompletedWan.Value)
	if got.rows != want.rows || !got.monthSum.Equal(want.monthSum.Add(delta)) {
		t.Errorf("after the correction: %d rows, month sum %s; want %d rows, %s", got.rows, got.monthSum, want.rows, want.monthSum.Add(delta))
	}
}

func TestRedeliveryAfterCrashBetweenInsertAndAck(t *testing.T) {
	e := newEnv(t)
	projects, reports := portfolio()
	for _, p := range projects {
		e.publish(p)
	}
	for _, r := range reports {
		e.publish(r)
	}
	ghost := report("fgj", "ghost", "2025-09", 1, "1", "1")
	e.publishRaw(schema.Subject(ghost), marshal(t, ghost), "ghost")
	cfg := fastConfig(t)
	cfg.AckWait = time.Second
	cfg.BackOff = []time.Duration{time.Second}
	cfg.FlushInterval = 100 * time.Millisecond

	// The first ingester stores the batch and dies before it acks.
	crashed := e.start(cfg, func(in *ingest.Ingester) { ingest.SetCrashAfterStore(in, func() bool { return true }) })
	select {
	case err := <-crashed.done:
		if !errors.Is(err, ingest.ErrCrash) {
			t.Fatalf("Run returned %v, want the simulated crash", err)
		}
		crashed.once.Do(func() {})
	case <-time.After(30 * time.Second):
		t.Fatal("the crashing ingester never stored its batch")
	}
	n := uint64(len(projects) + len(reports))
	info := e.consumerInfo(ingest.DefaultDurable)
	if uint64(info.NumAckPending) != n+1 {
		t.Fatalf("after the crash %d messages await an ack, want %d (nothing acked)", info.NumAckPending, n+1)
	}
	want := e.totals()
	if want.rows != 24 || want.registered != 2 {
		t.Fatalf("the crashed batch was not stored: %+v", want)
	}

	// After AckWait JetStream redelivers; the new ingester finds every
	// event stored and acks without a second copy.
	again := e.start(cfg)
	testenv.Eventually(t, 30*time.Second, func() bool {
		tot := again.in.Stats().Total()
		return tot.Duplicate == n && tot.Rejected == 1
	}, "after the redelivery: %+v, want %d duplicates and the rejection again", again.in.Stats(), n)
	if got := e.totals(); !got.same(want) || got.rawRows != want.rawRows {
		t.Errorf("after the redelivery: %+v, want %+v", got, want)
	}
	// The rejected message is dead-lettered once.
	dlq, err := e.js.Stream(context.Background(), schema.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := dlq.Info(context.Background()); err != nil || info.State.Msgs != 1 {
		t.Errorf("dead-letter stream after the redelivery: %v (%v), want 1 message", info.State.Msgs, err)
	}
	if n := e.count("SELECT count() FROM rejected_updates FINAL"); n != 1 {
		t.Errorf("rejected_updates has %d rejections, want 1", n)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return e.consumerInfo(ingest.DefaultDurable).NumAckPending == 0 },
		"redelivered messages were never acked")
}

// TestReportForProjectRegisteredByAnotherReplica: a replica that has not
// seen a registration (another replica claimed the project in the projects
// bucket after this one loaded the owners) takes the project's reports.
func TestReportForProjectRegisteredByAnotherReplica(t *testing.T) {
	e := newEnv(t)
	run := e.start(fastConfig(t))
	// Once a message is stored, the ingester has loaded the owners.
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	testenv.Eventually(t, 10*time.Second, func() bool { return run.in.Stats().Total().Accepted == 1 }, "the registration was not stored")

	// What another replica does when it accepts a registration.
	ctx := context.Background()
	kv, err := e.js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "lingxi-reservoir", []byte("slj")); err != nil {
		t.Fatal(err)
	}
	e.publish(report("slj", "lingxi-reservoir", "2025-09", 1, "10", "10"))
	e.publish(report("slj", "still-unknown", "2025-09", 1, "10", "10"))
	testenv.Eventually(t, 30*time.Second, func() bool {
		tot := run.in.Stats().Total()
		return tot.Accepted+tot.Rejected == 3
	}, "reports not finished: %+v", run.in.Stats())
	if tot := run.in.Stats().Total(); tot.Accepted != 2 || tot.Rejected != 1 {
		t.Errorf("%+v: want the report for the project registered elsewhere accepted, the other rejected", tot)
	}
	if n := e.count("SELECT count() FROM investment_latest WHERE project_id = ?", "lingxi-reservoir"); n != 1 {
		t.Errorf("%d reports stored for lingxi-reservoir, want 1", n)
	}
}
