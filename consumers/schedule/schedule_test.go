package schedule

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// advance moves the clock from one due run to the next, up to end, waiting
// after each for the schedulers to finish.
func advance(t *testing.T, clock *fakeClock, end time.Time, ss ...*Scheduler) {
	t.Helper()
	for {
		waitIdle(t, clock, ss...)
		_, next := clock.Waiting()
		if next.After(end) {
			return
		}
		clock.Set(next)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestEachKindFiresAtItsLocalTimesForThePeriodJustEnded(t *testing.T) {
	st := openStore(t, testenv.ClickHouseDSN(t))
	_, _, js := testenv.NATS(t)
	clock := newFakeClock(sh("2025-09-28 23:00"))
	log, logs := newLogger(t, "a")
	var c calls
	s, err := New(js, st, okJob(&c), Config{Clock: clock, LookBack: time.Hour, LeaseTTL: time.Second, Replica: "a", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitLeader(t, s)
	advance(t, clock, sh("2025-10-12 23:59"), s)

	want := []string{
		"a weekly 2025-W39 schedule at 2025-09-29 07:00",
		"a dekad 2025-09-D3 schedule at 2025-10-01 07:00",
		"a monthly 2025-09 schedule at 2025-10-06 07:00",
		"a weekly 2025-W40 schedule at 2025-10-06 07:00",
		"a dekad 2025-10-D1 schedule at 2025-10-11 07:00",
	}
	if got := c.strings(); !equalStrings(sorted(got), sorted(want)) {
		t.Errorf("runs:\n got %q\nwant %q", got, want)
	}
	if got, want := runStrings(t, st), []string{
		"dekad 2025-09-D3 schedule ok a", "dekad 2025-10-D1 schedule ok a",
		"monthly 2025-09 schedule ok a",
		"weekly 2025-W39 schedule ok a", "weekly 2025-W40 schedule ok a",
	}; !equalStrings(got, want) {
		t.Errorf("rollup_runs:\n got %q\nwant %q", got, want)
	}
	evs, ids := events(t, js)
	var runIDs []string
	for _, x := range c.all() {
		runIDs = append(runIDs, x.RunID)
	}
	if !equalStrings(sorted(ids), sorted(runIDs)) {
		t.Errorf("event message ids %q, want the run ids %q", ids, runIDs)
	}
	for _, ev := range evs {
		if ev.Trigger != "schedule" || ev.Replica != "a" || ev.Rows != 10 {
			t.Errorf("event %+v: want trigger schedule, replica a, rows 10", ev)
		}
	}
	// Each run is logged with its kind, period, duration and rows.
	for _, x := range c.all() {
		if l := logs.lines("review run finished", "kind="+string(x.Kind), "period="+x.Period, "run_id="+x.RunID, "duration=", "rows=10"); len(l) != 1 {
			t.Errorf("log lines for %s %s: %q", x.Kind, x.Period, l)
		}
	}
}

func TestCatchUpAtStartWithinTheLookBack(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, testenv.ClickHouseDSN(t))
	_, _, js := testenv.NATS(t)
	now := sh("2025-10-12 08:00") // default look-back 35 days: due after 2025-09-07 08:00
	seed := func(kind schema.ReviewKind, key string, trig Trigger, status RunStatus, started string) {
		p, err := schema.ParseReviewPeriod(kind, key)
		if err != nil {
			t.Fatal(err)
		}
		r := RunRecord{RunID: "seed-" + string(kind) + "-" + key, Period: p, Trigger: trig, Replica: "old", Status: status,
			StartedAt: sh(started), FinishedAt: sh(started).Add(time.Minute)}
		if status == StatusFailed {
			r.Error = "ClickHouse unavailable"
		}
		if err := record(ctx, st, r); err != nil {
			t.Fatal(err)
		}
	}
	seed(schema.ReviewWeekly, "2025-W38", TriggerSchedule, StatusOK, "2025-09-22 07:00")     // done: not again
	seed(schema.ReviewWeekly, "2025-W37", TriggerSchedule, StatusFailed, "2025-09-15 07:00") // failed: again
	seed(schema.ReviewDekad, "2025-09-D3", TriggerSchedule, StatusOK, "2025-10-01 07:00")    // done
	// Run by hand on the 3rd, before the reporting deadline: the run due on
	// the 6th is still owed.
	seed(schema.ReviewMonthly, "2025-09", TriggerManual, StatusOK, "2025-10-03 10:00")
	seed(schema.ReviewWeekly, "2025-W39", TriggerManual, StatusOK, "2025-09-29 06:00")

	clock := newFakeClock(now)
	log, logs := newLogger(t, "a")
	var c calls
	s, err := New(js, st, okJob(&c), Config{Clock: clock, LeaseTTL: time.Second, Replica: "a", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, s)
	waitLeader(t, s)
	waitIdle(t, clock, s)

	// Not W35 (due 09-01), 2025-08-D3 (due 09-01) or 2025-08 (due 09-06):
	// outside the look-back.
	want := []string{
		"a weekly 2025-W36 catchup at 2025-10-12 08:00",
		"a weekly 2025-W37 catchup at 2025-10-12 08:00",
		"a weekly 2025-W39 catchup at 2025-10-12 08:00",
		"a weekly 2025-W40 catchup at 2025-10-12 08:00",
		"a dekad 2025-09-D1 catchup at 2025-10-12 08:00",
		"a dekad 2025-09-D2 catchup at 2025-10-12 08:00",
		"a dekad 2025-10-D1 catchup at 2025-10-12 08:00",
		"a monthly 2025-09 catchup at 2025-10-12 08:00",
	}
	got := c.strings()
	if !equalStrings(sorted(got), sorted(want)) {
		t.Fatalf("caught up:\n got %q\nwant %q", got, want)
	}
	// Oldest first within each kind.
	for _, k := range schema.ReviewKinds() {
		var ps []string
		for _, x := range c.all() {
			if x.Kind == k {
				ps = append(ps, x.Period)
			}
		}
		if !slices.IsSorted(ps) {
			t.Errorf("%s caught up in the order %q, want oldest first", k, ps)
		}
	}
	// The log says it is catching up, and why.
	for _, tc := range []struct{ period, why string }{
		{"2025-W37", "failed: ClickHouse unavailable"},
		{"2025-W36", "no run since it was due at 2025-09-08 07:00:00 CST"},
		{"2025-09", "no run since it was due at 2025-10-06 07:00:00 CST"},
		{"2025-W39", "no run since it was due at 2025-09-29 07:00:00 CST"},
	} {
		if l := logs.lines("catching up a missed review", "period="+tc.period, tc.why); len(l) != 1 {
			t.Errorf("catch-up log of %s saying %q: %q", tc.period, tc.why, l)
		}
	}
	stop()

	// A restart finds nothing left to catch up.
	log2, logs2 := newLogger(t, "a again")
	s2, err := New(js, st, okJob(&c), Config{Clock: clock, LeaseTTL: time.Second, Replica: "a2", Logger: log2})
	if err != nil {
		t.Fatal(err)
	}
	start(t, s2)
	waitLeader(t, s2)
	waitIdle(t, clock, s2)
	if n := len(c.all()); n != len(want) {
		t.Errorf("after a restart %d runs, want still %d: %q", n, len(want), c.strings())
	}
	if l := logs2.lines("review catch-up: nothing missed"); len(l) != 3 {
		t.Errorf("restart logs %q, want one 'nothing missed' per kind", l)
	}
}

// TestOneReplicaRunsEachPeriodAndAnotherTakesOver runs two schedulers on
// one NATS server and one ClickHouse database, driven by one clock. Only the
// leader runs; when it stops in the middle of a run — cleanly, or as if it
// crashed (its NATS connection gone, the lease left to expire) — the other
// runs the unfinished period exactly once and not the finished one.
func TestOneReplicaRunsEachPeriodAndAnotherTakesOver(t *testing.T) {
	for _, crash := range []bool{false, true} {
		name := "leader stops"
		if crash {
			name = "leader crashes"
		}
		t.Run(name, func(t *testing.T) { testTakeover(t, crash) })
	}
}

func testTakeover(t *testing.T, crash bool) {
	srv, _, _ := testenv.NATS(t)
	dsn := testenv.ClickHouseDSN(t)
	stA, stB := openStore(t, dsn), openStore(t, dsn)
	ncA, jsA := connect(t, srv.URL())
	_, jsB := connect(t, srv.URL())
	clock := newFakeClock(sh("2025-10-05 23:00"))
	cfg := Config{Clock: clock, LookBack: 48 * time.Hour, LeaseTTL: time.Second}

	var c calls
	monthlyStarted := make(chan struct{})
	var once sync.Once
	jobA := func(ctx context.Context, r Request) (Result, error) {
		c.add(r)
		if r.Period.Kind == schema.ReviewMonthly { // blocks until A stops
			once.Do(func() { close(monthlyStarted) })
			<-ctx.Done()
			return Result{}, ctx.Err()
		}
		return Result{Rows: 1}, nil
	}
	logA, logsA := newLogger(t, "a")
	cfgA := cfg
	cfgA.Replica, cfgA.Logger = "a", logA
	a, err := New(jsA, stA, jobA, cfgA)
	if err != nil {
		t.Fatal(err)
	}
	logB, logsB := newLogger(t, "b")
	cfgB := cfg
	cfgB.Replica, cfgB.Logger = "b", logB
	b, err := New(jsB, stB, okJob(&c), cfgB)
	if err != nil {
		t.Fatal(err)
	}

	stopA := start(t, a)
	waitLeader(t, a)
	start(t, b)
	testenv.Eventually(t, 10*time.Second, func() bool { return b.Status().LeaseHolder == "a" }, "b never saw a's lease")
	waitIdle(t, clock, a, b)

	// Monday 07:00: the weekly and the monthly review are due.
	clock.Set(sh("2025-10-06 07:00"))
	select {
	case <-monthlyStarted:
	case <-time.After(20 * time.Second):
		t.Fatalf("a's monthly run never started; runs %q", c.strings())
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		return slices.Contains(runStrings(t, stA), "weekly 2025-W40 schedule ok a")
	}, "a's weekly run was not recorded")
	// Its event is published after the run is recorded: wait for it too,
	// or a crash below could come first on a loaded machine.
	testenv.Eventually(t, 10*time.Second, func() bool {
		evs, _ := events(t, jsA)
		return slices.ContainsFunc(evs, func(ev schema.ReviewCompleted) bool { return ev.Period == "2025-W40" && ev.Replica == "a" })
	}, "a's weekly review event was not published")
	for _, k := range []string{"weekly", "monthly"} {
		testenv.Eventually(t, 10*time.Second, func() bool {
			return len(logsB.lines("review due; not the leader", "kind="+k, "leader=a")) == 1
		}, "b did not log that the %s review is the leader's", k)
	}
	if b.Status().Leader {
		t.Fatal("b leads while a holds the lease")
	}

	if crash {
		ncA.Close() // no renewal, no release: the lease must expire
	}
	stopA()
	if crash {
		if l := logsA.lines("could not release the leader lease"); len(l) != 1 {
			t.Errorf("a's log on crash: %q", l)
		}
	} else if l := logsA.lines("released the leader lease"); len(l) != 1 {
		t.Errorf("a's log on stop: %q", l)
	}

	waitLeader(t, b)
	testenv.Eventually(t, 20*time.Second, func() bool {
		return slices.Contains(runStrings(t, stB), "monthly 2025-09 catchup ok b")
	}, "b did not catch up the monthly review a was running; runs %q", c.strings())
	waitIdle(t, clock, b)

	wantCalls := []string{
		"a monthly 2025-09 schedule at 2025-10-06 07:00",
		"a weekly 2025-W40 schedule at 2025-10-06 07:00",
		"b monthly 2025-09 catchup at 2025-10-06 07:00",
	}
	if got := sorted(c.strings()); !equalStrings(got, wantCalls) {
		t.Errorf("runs:\n got %q\nwant %q", got, wantCalls)
	}
	wantRuns := []string{
		"monthly 2025-09 catchup ok b",
		"monthly 2025-09 schedule failed a",
		"weekly 2025-W40 schedule ok a",
	}
	if got := runStrings(t, stB); !equalStrings(got, wantRuns) {
		t.Errorf("rollup_runs:\n got %q\nwant %q", got, wantRuns)
	}
	runs, err := Runs(context.Background(), stB, schema.ReviewMonthly, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == StatusFailed && !strings.Contains(r.Error, "review run interrupted") {
			t.Errorf("a's interrupted run recorded with error %q, want it to say it was interrupted", r.Error)
		}
	}
	evs, _ := events(t, jsB)
	var got []string
	for _, ev := range evs {
		got = append(got, string(ev.Kind)+" "+ev.Period+" "+ev.Trigger+" "+ev.Replica)
	}
	if want := []string{"monthly 2025-09 catchup b", "weekly 2025-W40 schedule a"}; !equalStrings(sorted(got), want) {
		t.Errorf("events %q, want %q", got, want)
	}

	// b goes on with the schedule: the ten-day review on the 11th.
	advance(t, clock, sh("2025-10-11 07:00"), b)
	if got, want := c.strings(), "b dekad 2025-10-D1 schedule at 2025-10-11 07:00"; len(got) != 4 || got[3] != want {
		t.Errorf("runs after the 11th %q, want a fourth: %s", got, want)
	}
}

func TestRunNowRecordsAndAnnounces(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, testenv.ClickHouseDSN(t))
	_, _, js := testenv.NATS(t)
	clock := newFakeClock(time.Date(2025, 10, 6, 9, 30, 15, 0, schema.Location()))
	pct := decimal.RequireFromString("49.38")
	res := Result{
		Rows: 123, Projects: 10, Reported: 8, Missing: 2, Late: 1,
		Green: 5, Yellow: 2, Red: 2, Unrated: 1, NewlyRed: 1, Recovered: 1,
		MilestonesDue: 3, MilestonesOverdue: 2, MilestonesSlipped: 1,
		PeriodCompletedWan: decimal.RequireFromString("1234.5"),
		YTDCompletedWan:    decimal.RequireFromString("98765.4321"),
		AnnualPlanWan:      decimal.RequireFromString("200000"),
		CompletionPct:      &pct,
		TimeProgressPct:    decimal.RequireFromString("76.16"),
		Rules:              `{"mode":"pp_gap","yellow_band":"10"}`,
	}
	var got []Request
	s, err := New(js, st, func(ctx context.Context, r Request) (Result, error) {
		got = append(got, r)
		clock.Set(clock.Now().Add(2 * time.Second))
		return res, nil
	}, Config{Clock: clock, Replica: "cli", Rules: `{"ignored":true}`})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W40")
	rec, err := s.RunNow(ctx, p, TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RunID != rec.RunID || got[0].Period != p || got[0].Trigger != TriggerManual ||
		got[0].Replica != "cli" || !got[0].Now.Equal(sh("2025-10-06 09:30").Add(15*time.Second)) {
		t.Errorf("job asked %+v, want one request for %s with run id %s", got, p, rec.RunID)
	}
	if !strings.HasPrefix(rec.RunID, "weekly-2025-W40-20251006T093015-") {
		t.Errorf("run id %q", rec.RunID)
	}

	runs, err := Runs(ctx, st, schema.ReviewWeekly, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("rollup_runs has %d weekly rows, want 1: %+v", len(runs), runs)
	}
	r := runs[0]
	if r.RunID != rec.RunID || r.Period.Key() != "2025-W40" || r.Period.Kind != schema.ReviewWeekly || r.Trigger != TriggerManual ||
		r.Replica != "cli" || r.Status != StatusOK || r.Error != "" ||
		!r.StartedAt.Equal(clockTime("2025-10-06 09:30:15")) || !r.FinishedAt.Equal(clockTime("2025-10-06 09:30:17")) ||
		r.Rows != 123 || r.Green != 5 || r.Yellow != 2 || r.Red != 2 || r.Unrated != 1 || r.Rules != res.Rules {
		t.Errorf("rollup_runs row %+v", r)
	}
	if r.Duration != rec.Duration.Truncate(time.Millisecond) {
		t.Errorf("duration %s recorded, the run took %s", r.Duration, rec.Duration)
	}

	evs, ids := events(t, js)
	if len(evs) != 1 || ids[0] != rec.RunID {
		t.Fatalf("events %+v with ids %q, want one with id %s", evs, ids, rec.RunID)
	}
	ev := evs[0]
	want := schema.ReviewCompleted{
		Schema: "kpp.review_completed.v1", Kind: schema.ReviewWeekly, Period: "2025-W40",
		Label: "周分析 2025年第40周（9月29日至10月5日）", PeriodStart: "2025-09-29", PeriodEnd: "2025-10-05",
		RunID: rec.RunID, Trigger: "manual", Replica: "cli",
		Rows: 123, Projects: 10, Reported: 8, Missing: 2, Late: 1, Green: 5, Yellow: 2, Red: 2, Unrated: 1, NewlyRed: 1, Recovered: 1,
		MilestonesDue: 3, MilestonesOverdue: 2, MilestonesSlipped: 1,
		DurationMS: rec.Duration.Milliseconds(),
	}
	cmp := ev
	cmp.StartedAt, cmp.FinishedAt = time.Time{}, time.Time{}
	cmp.PeriodCompletedWan, cmp.YTDCompletedWan, cmp.AnnualPlanWan = schema.Wan{}, schema.Wan{}, schema.Wan{}
	cmp.CompletionPct, cmp.TimeProgressPct = nil, decimal.Decimal{}
	if cmp != want {
		t.Errorf("event\n got %+v\nwant %+v", cmp, want)
	}
	if !ev.StartedAt.Equal(clockTime("2025-10-06 09:30:15")) || !ev.FinishedAt.Equal(clockTime("2025-10-06 09:30:17")) {
		t.Errorf("event times %s to %s", ev.StartedAt, ev.FinishedAt)
	}
	if ev.PeriodCompletedWan.String() != "1234.5000" || ev.YTDCompletedWan.String() != "98765.4321" || ev.AnnualPlanWan.String() != "200000.0000" ||
		ev.CompletionPct == nil || ev.CompletionPct.String() != "49.38" || ev.TimeProgressPct.String() != "76.16" {
		t.Errorf("event totals %s %s %s %v %s", ev.PeriodCompletedWan, ev.YTDCompletedWan, ev.AnnualPlanWan, ev.CompletionPct, ev.TimeProgressPct)
	}

	// A back-fill of three months: recorded with trigger backfill, listed
	// newest first, and announced once each.
	ps, err := Periods(schema.ReviewMonthly, "2025-07", "2025-09")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if _, err := s.RunNow(ctx, p, TriggerBackfill); err != nil {
			t.Fatal(err)
		}
	}
	monthly, err := Runs(ctx, st, schema.ReviewMonthly, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(monthly) != 2 || monthly[0].Period.Key() != "2025-09" || monthly[1].Period.Key() != "2025-08" || monthly[0].Trigger != TriggerBackfill {
		t.Errorf("latest two monthly runs %+v, want 2025-09 then 2025-08, backfill", monthly)
	}
	if all, _ := Runs(ctx, st, "", 0); len(all) != 4 {
		t.Errorf("%d runs in all, want 4", len(all))
	}
	if evs, _ := events(t, js); len(evs) != 4 {
		t.Errorf("%d events, want 4", len(evs))
	}
}

func clockTime(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, schema.Location())
	if err != nil {
		panic(err)
	}
	return t
}

func TestOverlappingRunIsSkippedAndLogged(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, testenv.ClickHouseDSN(t))
	_, _, js := testenv.NATS(t)
	clock := newFakeClock(sh("2025-10-05 23:00"))
	log, logs := newLogger(t, "a")
	var c calls
	release := make(chan struct{})
	job := func(ctx context.Context, r Request) (Result, error) {
		c.add(r)
		if r.Trigger == TriggerManual {
			<-release
		}
		return Result{Rows: 1}, nil
	}
	s, err := New(js, st, job, Config{Clock: clock, LookBack: 8 * 24 * time.Hour, LeaseTTL: time.Second, Replica: "a", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitLeader(t, s)
	waitIdle(t, clock, s) // after catching up W39 and 2025-09-D3

	w39, _ := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W39")
	manual := make(chan error, 1)
	go func() { _, err := s.RunNow(ctx, w39, TriggerManual); manual <- err }()
	testenv.Eventually(t, 10*time.Second, func() bool {
		r := s.Status().Running
		return len(r) == 1 && r[0].Period == w39 && r[0].Trigger == TriggerManual
	}, "the manual run of 2025-W39 is not running")

	// A second run of the same kind in this process is refused…
	w38, _ := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W38")
	_, err = s.RunNow(ctx, w38, TriggerManual)
	if !errors.Is(err, ErrOverlap) || !strings.Contains(err.Error(), "weekly 2025-W38 not run: weekly 2025-W39 (trigger manual) has been running since 2025-10-05 23:00:00") {
		t.Errorf("overlapping RunNow: %v", err)
	}
	// …and so is the scheduled one due meanwhile; the monthly review, due
	// at the same time, runs.
	clock.Set(sh("2025-10-06 07:00"))
	testenv.Eventually(t, 10*time.Second, func() bool {
		return len(logs.lines("review skipped", "kind=weekly", "period=2025-W40", "trigger=schedule", "running_period=2025-W39")) == 1
	}, "the skipped weekly run was not logged")
	testenv.Eventually(t, 10*time.Second, func() bool {
		return slices.Contains(runStrings(t, st), "monthly 2025-09 schedule ok a")
	}, "the monthly run did not run")
	for _, x := range c.all() {
		if x.Period == "2025-W40" {
			t.Errorf("2025-W40 ran while 2025-W39 was running: %s", x)
		}
	}
	close(release)
	if err := <-manual; err != nil {
		t.Fatal(err)
	}

	// The skipped run is caught up as soon as the run in its way ends.
	waitIdle(t, clock, s)
	if l := logs.lines("catching up a missed review", "period=2025-W40", "no run since it was due at 2025-10-06 07:00:00 CST"); len(l) != 1 {
		t.Errorf("catch-up of the skipped run logged as %q", l)
	}
	advance(t, clock, sh("2025-10-13 07:00"), s)
	want := []string{
		"a dekad 2025-09-D3 catchup at 2025-10-05 23:00",
		"a dekad 2025-10-D1 schedule at 2025-10-11 07:00",
		"a monthly 2025-09 schedule at 2025-10-06 07:00",
		"a weekly 2025-W39 catchup at 2025-10-05 23:00",
		"a weekly 2025-W39 manual at 2025-10-05 23:00",
		"a weekly 2025-W40 catchup at 2025-10-06 07:00",
		"a weekly 2025-W41 schedule at 2025-10-13 07:00",
	}
	if got := sorted(c.strings()); !equalStrings(got, want) {
		t.Errorf("runs:\n got %q\nwant %q", got, want)
	}
	if n := len(runStrings(t, st)); n != len(want) {
		t.Errorf("%d rows in rollup_runs, want %d (the skipped runs are not recorded)", n, len(want))
	}
}

func TestPanickingJobIsRecordedAsFailed(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, testenv.ClickHouseDSN(t))
	_, _, js := testenv.NATS(t)
	clock := newFakeClock(sh("2025-10-05 23:00"))
	log, logs := newLogger(t, "a")
	var c calls
	job := func(ctx context.Context, r Request) (Result, error) {
		c.add(r)
		if r.Period.Kind == schema.ReviewWeekly {
			var m map[string]int
			m["boom"]++ // panics: assignment to entry in nil map
		}
		return Result{Rows: 1}, nil
	}
	s, err := New(js, st, job, Config{Clock: clock, LookBack: time.Hour, LeaseTTL: time.Second, Replica: "a", Logger: log, Rules: `{"mode":"ratio"}`})
	if err != nil {
		t.Fatal(err)
	}

	p, _ := schema.ParseReviewPeriod(schema.ReviewWeekly, "2025-W39")
	rec, err := s.RunNow(ctx, p, TriggerManual)
	if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), "assignment to entry in nil map") {
		t.Fatalf("RunNow of a panicking job: %v", err)
	}
	if rec.Status != StatusFailed || rec.RunID == "" {
		t.Errorf("record %+v", rec)
	}
	runs, err := Runs(ctx, st, schema.ReviewWeekly, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != StatusFailed || runs[0].Error != "review job panicked: assignment to entry in nil map" ||
		runs[0].Rules != `{"mode":"ratio"}` || runs[0].RunID != rec.RunID {
		t.Errorf("rollup_runs %+v", runs)
	}
	if l := logs.lines("review job panicked", "stack="); len(l) != 1 {
		t.Errorf("panic log %q", l)
	}

	// A panic in a scheduled run is recorded too, and the schedule goes on.
	start(t, s)
	waitLeader(t, s)
	advance(t, clock, sh("2025-10-06 07:00"), s)
	if got, want := runStrings(t, st), []string{
		"monthly 2025-09 schedule ok a",
		"weekly 2025-W39 manual failed a",
		"weekly 2025-W40 schedule failed a",
	}; !equalStrings(got, want) {
		t.Errorf("rollup_runs:\n got %q\nwant %q", got, want)
	}
	evs, _ := events(t, js)
	if len(evs) != 1 || evs[0].Kind != schema.ReviewMonthly {
		t.Errorf("events %+v, want only the monthly one: failed runs are not announced", evs)
	}
}

// TestLeaderThatLosesTheLeaseStopsItsRuns takes the lease away from a
// running leader (as if it had expired and another replica had taken it):
// the leader steps down at its next renewal, cancels its run, records it as
// interrupted, and runs nothing more while another replica holds the lease.
func TestLeaderThatLosesTheLeaseStopsItsRuns(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, testenv.ClickHouseDSN(t))
	srv, _, js := testenv.NATS(t)
	_, other := connect(t, srv.URL())
	clock := newFakeClock(sh("2025-10-05 23:00"))
	log, logs := newLogger(t, "a")
	var c calls
	job := func(ctx context.Context, r Request) (Result, error) {
		c.add(r)
		<-ctx.Done()
		return Result{}, ctx.Err()
	}
	s, err := New(js, st, job, Config{Clock: clock, LookBack: time.Hour, LeaseTTL: 3 * time.Second, Replica: "a", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	waitLeader(t, s)
	waitIdle(t, clock, s)
	clock.Set(sh("2025-10-06 07:00"))
	testenv.Eventually(t, 10*time.Second, func() bool { return len(s.Status().Running) == 2 }, "the weekly and monthly runs did not start")

	kv, err := other.KeyValue(ctx, LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Purge(ctx, LeaseKey); err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Create(ctx, LeaseKey, []byte(`{"replica":"intruder"}`))
	if err != nil {
		t.Fatal(err)
	}
	// The intruder keeps its lease for the rest of the test.
	renew, stopRenew := context.WithCancel(ctx)
	renewed := make(chan struct{})
	t.Cleanup(func() { stopRenew(); <-renewed })
	go func() {
		defer close(renewed)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-renew.Done():
				return
			case <-tick.C:
			}
			r, err := kv.Update(renew, LeaseKey, []byte(`{"replica":"intruder"}`), rev)
			if err != nil {
				if renew.Err() == nil {
					t.Errorf("intruder's renewal: %v", err)
				}
				return
			}
			rev = r
		}
	}()
	testenv.Eventually(t, 10*time.Second, func() bool {
		now := s.Status()
		return !now.Leader && len(now.Running) == 0
	}, "a still leads or runs: %+v", s.Status())
	runs, err := Runs(ctx, st, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("rollup_runs %+v, want the two interrupted runs", runs)
	}
	for _, r := range runs {
		if r.Status != StatusFailed || !strings.Contains(r.Error, "review run interrupted (this replica lost the leader lease: it expired or another replica took it") {
			t.Errorf("run %s %s recorded as %s: %q", r.Period.Kind, r.Period.Key(), r.Status, r.Error)
		}
	}
	if l := logs.lines("this replica is no longer the leader"); len(l) != 1 {
		t.Errorf("step-down log %q", l)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return s.Status().LeaseHolder == "intruder" }, "a did not see the new holder")

	// While the other holds the lease, a's schedule runs nothing.
	advance(t, clock, sh("2025-10-11 07:00"), s)
	if n := len(c.all()); n != 2 {
		t.Errorf("%d runs, want still 2: %q", n, c.strings())
	}
	if l := logs.lines("review due; not the leader", "kind=dekad", "leader=intruder"); len(l) != 1 {
		t.Errorf("the dekad run due on the 11th was not logged as the leader's: %q", l)
	}
}
