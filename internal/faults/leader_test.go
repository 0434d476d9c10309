//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// TestRollupLeaderKilled runs two kpp serve replicas whose monthly review
// fell due an hour ago (a daily spec, so that one run is owed on any day),
// over 30,000 projects stored in ClickHouse (bench.Fill). The replica that
// takes the leader lease starts the review and is SIGKILLed 300 ms after
// it logs the start (the run takes a few seconds; the test fails if it had
// finished). The other must take the lease when it expires (TTL 3 s
// here), run the review, and store it once: one ok run in rollup_runs, by
// the survivor, and the four dispatch tables holding that run's rows only,
// a row per project. The stored board must equal a recomputation
// (rollup.Run on the same data). Recovery is from the kill until the
// survivor's run finished.
func TestRollupLeaderKilled(t *testing.T) {
	began := time.Now()
	projects := scaled(t, 30_000)
	e := newEnv(t, testenv.ClickHouseServer(t))
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	due := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	period := schema.LastEnded(schema.ReviewMonthly, due)
	month := period.Month()
	e.kpp("--log-level", "warn", "migrate", "--clickhouse", e.dsn)
	st := e.store()
	pf := bench.Portfolio{Prefix: "lead-", Projects: projects, First: schema.Period{Year: month.Year, Month: time.January}, Months: int(month.Month)}
	if err := bench.Fill(ctx, st.Conn(), pf, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d projects, %d reports stored; the review of %s fell due at %s", projects, pf.Reports(), period.Key(), due.Format(time.RFC3339))

	flags := []string{"--schedule-monthly", fmt.Sprintf("CRON_TZ=UTC %d %d * * *", due.Minute(), due.Hour()),
		"--schedule-lookback", "3h", "--schedule-lease-ttl", "3s"}
	replicas := []*proc{e.startServe("serve-a", flags...), e.startServe("serve-b", flags...)}
	var leader, survivor *proc
	deadline := time.Now().Add(2 * time.Minute)
	for leader == nil {
		for i, r := range replicas {
			if r.line("review run started") != "" {
				// Into the run: reading and rating, rows being written.
				time.Sleep(300 * time.Millisecond)
				r.kill()
				leader, survivor = r, replicas[1-i]
				break
			}
		}
		if leader == nil && time.Now().After(deadline) {
			t.Fatalf("no replica started the review of %s within 2 minutes", period.Key())
		}
		time.Sleep(time.Millisecond)
	}
	killed := time.Now()
	t.Logf("%s killed in the middle of its run: %s", leader.name, leader.line("review run started"))
	if l := leader.line("review run finished"); l != "" {
		t.Fatalf("%s finished the review before it was killed (%s): the scenario needs more projects to kill it mid-run", leader.name, l)
	}
	finished := survivor.waitLine("review run finished", 3*time.Minute)
	recovery := []time.Duration{time.Since(killed)}
	if !strings.Contains(finished, "status=ok") || !strings.Contains(finished, "period="+period.Key()) {
		t.Fatalf("%s: %s; want an ok run of %s", survivor.name, finished, period.Key())
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	survivorName := host + ":" + strconv.Itoa(survivor.pid())
	stats := stopServe(t, survivor)

	// One ok run of the period, by the survivor.
	rows, err := st.Conn().Query(ctx, "SELECT run_id, replica, status FROM rollup_runs WHERE kind = 'monthly' AND period = ?", period.Key())
	if err != nil {
		t.Fatal(err)
	}
	var okRun string
	var runs []string
	for rows.Next() {
		var id, replica, status string
		if err := rows.Scan(&id, &replica, &status); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, fmt.Sprintf("%s by %s: %s", id, replica, status))
		if status == "ok" {
			if okRun != "" || replica != survivorName {
				t.Errorf("run %s by %s is ok; want exactly one ok run, by the survivor %s", id, replica, survivorName)
			}
			okRun = id
		}
	}
	rows.Close()
	if okRun == "" {
		t.Fatalf("no ok run of %s in rollup_runs: %v", period.Key(), runs)
	}
	// Stored once: every row of the period is the ok run's, a row per project.
	for _, table := range []string{"dispatch_projects", "dispatch_totals", "dispatch_milestones", "dispatch_reporting"} {
		var n, runIDs, others uint64
		q := "SELECT count(), uniqExact(run_id), countIf(run_id != ?) FROM " + table + " WHERE kind = 'monthly' AND period = ?"
		if err := st.Conn().QueryRow(ctx, q, okRun, period.Key()).Scan(&n, &runIDs, &others); err != nil {
			t.Fatal(err)
		}
		if runIDs != 1 || others != 0 {
			t.Errorf("%s holds %d rows of %s from %d runs (%d not from the ok run %s)", table, n, period.Key(), runIDs, others, okRun)
		}
		if table == "dispatch_projects" && n != uint64(projects) {
			t.Errorf("dispatch_projects holds %d rows of %s; want one per project, %d", n, period.Key(), projects)
		}
	}

	// The stored board equals a recomputation.
	stored, err := rollup.Load(ctx, st, period)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rollup.Run(ctx, st, period, rating.DefaultRules(), rollup.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := rollup.Load(ctx, st, period)
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i := range max(len(stored.Projects), len(again.Projects)) {
		if i >= len(stored.Projects) || i >= len(again.Projects) || !reflect.DeepEqual(stored.Projects[i], again.Projects[i]) {
			wrong++
			if wrong <= 3 && i < len(stored.Projects) && i < len(again.Projects) {
				t.Errorf("board line %d: stored %+v; recomputed %+v", i, stored.Projects[i], again.Projects[i])
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d project lines differ from a recomputation (%d lines)", wrong, len(stored.Projects), len(again.Projects))
	}
	for name, pair := range map[string][2]any{"totals": {stored.Totals, again.Totals}, "milestone alerts": {stored.Milestones, again.Milestones},
		"reporting": {stored.Reporting, again.Reporting}, "trend": {stored.Trend, again.Trend}} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("the stored board's %s differ from a recomputation's", name)
		}
	}
	o := outcome{BoardProjects: len(stored.Projects), BoardWrong: wrong}
	t.Logf("%s killed mid-run; %s ran %s once (%s: %s); board of %d projects, %d lines differ from a recomputation; recovery %v",
		leader.name, survivor.name, period.Key(), okRun, finished, o.BoardProjects, wrong, recovery)
	record(figure{scenario: "rollup leader SIGKILLed mid-review", faults: fmt.Sprintf("SIGKILL of the leader as it starts the monthly review of %d projects (lease TTL 3 s)", projects),
		outcome: o, recovery: recovery, note: "(kill → the other replica's run of the period finished); " + stats, took: time.Since(began)})
}
