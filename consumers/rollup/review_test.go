package rollup_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/schema"
)

// The review fixture (testdata/review/receipts.json, described in its
// README.md) and the reviews the tests run on it.
var (
	w39, w40, w41 = period("weekly", "2025-W39"), period("weekly", "2025-W40"), period("weekly", "2025-W41")
	sepD3, octD1  = period("dekad", "2025-09-D3"), period("dekad", "2025-10-D1")
	sepMonthly    = period("monthly", "2025-09")
	// reviewNow is the time of every run: after the fixture's last receipt.
	reviewNow = time.Date(2025, 10, 20, 10, 0, 0, 0, schema.Location())
)

func period(kind, key string) schema.ReviewPeriod {
	p, err := schema.ParseReviewPeriod(schema.ReviewKind(kind), key)
	if err != nil {
		panic(err)
	}
	return p
}

func setupReview(t *testing.T) (*chstore.Store, []rolluptest.Receipt) {
	t.Helper()
	ctx := context.Background()
	st := rolluptest.Store(t)
	receipts, err := rolluptest.ReadReceipts(filepath.Join("..", "..", "testdata", "review", "receipts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rolluptest.InsertReceipts(ctx, st, receipts, 1); err != nil {
		t.Fatal(err)
	}
	return st, receipts
}

// run runs review p with rules as of reviewNow. Its first run in st has
// the id test-<period>, the next ones test-<period>-2, -3 and so on (a run
// id is used once).
func run(t *testing.T, st *chstore.Store, p schema.ReviewPeriod, rules rating.Rules) *rollup.Summary {
	t.Helper()
	id := "test-" + p.Key()
	var n uint64
	if err := st.Conn().QueryRow(context.Background(), "SELECT uniqExact(run_id) FROM review_runs WHERE kind = ? AND period = ? AND startsWith(run_id, ?)",
		string(p.Kind), p.Key(), id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		id = fmt.Sprintf("%s-%d", id, n+1)
	}
	s, err := rollup.Run(context.Background(), st, p, rules, rollup.RunOptions{Now: reviewNow, RunID: id})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func load(t *testing.T, st *chstore.Store, p schema.ReviewPeriod) *rollup.Board {
	t.Helper()
	b, err := rollup.Load(context.Background(), st, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func row(t *testing.T, b *rollup.Board, id string) rollup.ProjectRow {
	t.Helper()
	for _, r := range b.Projects {
		if r.ProjectID == id {
			return r
		}
	}
	t.Fatalf("%s %s has no row for %s", b.Period.Kind, b.Period.Key(), id)
	return rollup.ProjectRow{}
}

func reporting(b *rollup.Board) map[string]string {
	out := map[string]string{}
	for _, r := range b.Reporting {
		out[r.ProjectID] = fmt.Sprintf("%s %d", r.Status, r.DaysLate)
	}
	return out
}

// TestReviewsMatchTheIndependentComputation runs three weeks, two ten-day
// periods and a month in order, each after the previous one of its kind,
// and checks every stored number against the model; then the fixture's
// intent, written by hand.
func TestReviewsMatchTheIndependentComputation(t *testing.T) {
	st, receipts := setupReview(t)
	var prev *modelBoard
	var boards = map[string]*rollup.Board{}
	for _, ps := range [][]schema.ReviewPeriod{{w39, w40, w41}, {sepD3, octD1}, {sepMonthly}} {
		prev = nil
		for _, p := range ps {
			sum := run(t, st, p, rating.Rules{})
			b := load(t, st, p)
			want := model(t, receipts, p, reviewNow, defaultModel, prev)
			compareModel(t, b, want)
			if b.RunID != "test-"+p.Key() || !b.ComputedAt.Equal(reviewNow) || b.Period != p {
				t.Errorf("%s: run %q computed %v period %+v", p.Key(), b.RunID, b.ComputedAt, b.Period)
			}
			if sum.RowsWritten() != len(b.Projects)+len(b.Totals)+len(b.Milestones)+len(b.Reporting) {
				t.Errorf("%s: RowsWritten %d, loaded %d+%d+%d+%d", p.Key(), sum.RowsWritten(), len(b.Projects), len(b.Totals), len(b.Milestones), len(b.Reporting))
			}
			tot := b.Total()
			if sum.Red != tot.Red || sum.Yellow != tot.Yellow || sum.Green != tot.Green || sum.Unrated != tot.Unrated ||
				sum.Missing != tot.Missing || sum.Late != tot.Late || !sum.YTDCompletedWan.Equal(tot.YTDCompletedWan) {
				t.Errorf("%s: summary %+v disagrees with the overall total %+v", p.Key(), *sum, tot)
			}
			prev, boards[p.Key()] = want, b
		}
	}

	// The intent of the fixture.
	wk := boards["2025-W41"]
	if got, want := reporting(wk), map[string]string{
		"a-station": "on_time 0", "b-road": "late 3", "c-reservoir": "missing 7", "d-park": "on_time 0",
		"e-levee": "on_time 0", "f-hospital": "missing 7", "g-bridge": "on_time 0",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("2025-W41 reporting of 2025-09:\n got %v\nwant %v", got, want)
	}
	if _, ok := reporting(wk)["h-school"]; ok || len(wk.Projects) != 7 {
		t.Errorf("2025-W41 sees h-school, registered after its cut-off")
	}
	if r := row(t, wk, "c-reservoir"); r.Reported || r.ReportPeriod.String() != "2025-08" || !r.YTDCompletedWan.Equal(decimal.RequireFromString("4400")) ||
		!strings.Contains(r.ReasonZh, "2025-09月报未报送，累计取2025-08报送数") {
		t.Errorf("c-reservoir's September report arrived after the week: %+v", r)
	}
	if r := row(t, wk, "a-station"); r.ReportRevision != 2 || !r.YTDCompletedWan.Equal(decimal.RequireFromString("7500")) ||
		!r.PeriodCompletedWan.Equal(decimal.RequireFromString("500")) {
		t.Errorf("a-station uses the correction received in the week: %+v", r)
	}
	if r := row(t, wk, "g-bridge"); r.Status != rating.Green || r.PrevStatus != rating.Red || r.Change != rollup.ChangeRecovered {
		t.Errorf("g-bridge recovers after its correction: %s from %s (%s)", r.Status, r.PrevStatus, r.Change)
	}
	if r := row(t, wk, "b-road"); r.Status != rating.Yellow || r.Change != rollup.ChangeBetter || r.OverdueMilestones != 1 || r.MaxOverdueDays != 12 {
		t.Errorf("b-road: %s %s, %d overdue by %d", r.Status, r.Change, r.OverdueMilestones, r.MaxOverdueDays)
	}
	if r := row(t, wk, "f-hospital"); r.Status != rating.Unrated || r.MaxOverdueDays != 58 || !strings.Contains(r.ReasonZh, "未下达年度计划，不评级") {
		t.Errorf("f-hospital: %s, %d days, %s", r.Status, r.MaxOverdueDays, r.ReasonZh)
	}
	var alerts []string
	for _, m := range wk.Milestones {
		alerts = append(alerts, fmt.Sprintf("%s %s/%s %d", m.Alert, m.ProjectID, m.MilestoneID, m.Days))
	}
	if want := []string{"due b-road/bridge-closure 8", "due d-park/plant-topping 8", "overdue b-road/bridge-closure 12",
		"overdue f-hospital/main-works-start 58", "slipped d-park/plant-topping 10"}; !reflect.DeepEqual(alerts, want) {
		t.Errorf("2025-W41 milestone alerts:\n got %q\nwant %q", alerts, want)
	}
	if r := row(t, boards["2025-W40"], "b-road"); r.Reported || r.Status != rating.Red || reporting(boards["2025-W40"])["b-road"] != "missing 0" {
		t.Errorf("b-road had not reported by the end of 2025-W40: %+v", r)
	}
	mo := boards["2025-09"]
	if got, want := reporting(mo), map[string]string{
		"a-station": "on_time 0", "b-road": "late 3", "c-reservoir": "late 9", "d-park": "on_time 0",
		"e-levee": "on_time 0", "f-hospital": "missing 15", "g-bridge": "on_time 0", "h-school": "missing 15",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("monthly 2025-09 reporting:\n got %v\nwant %v", got, want)
	}
	if tot := mo.Total(); tot.Missing != 2 || tot.Late != 2 || tot.Projects != 8 {
		t.Errorf("monthly totals: %d missing, %d late of %d", tot.Missing, tot.Late, tot.Projects)
	}
	var ranked []string
	for _, g := range mo.Ranked(rollup.DimensionDepartment) {
		ranked = append(ranked, fmt.Sprintf("%d %s", g.Rank, g.Key))
	}
	// fgw 11100/15000 = 74.00%, jtj 22600/30000 = 75.33%, slj 12400/18000
	// = 68.89%, jyj 0/2000 = 0%, wjw not rated: last.
	if want := []string{"1 lishui-jtj", "2 lishui-fgw", "3 lishui-slj", "4 lishui-jyj", "5 lishui-wjw"}; !reflect.DeepEqual(ranked, want) {
		t.Errorf("department ranking %q, want %q", ranked, want)
	}
	if tr := mo.Trend; len(tr) != 9 || !tr[6].AmountWan.Equal(decimal.RequireFromString("900")) || !tr[8].AmountWan.Equal(decimal.RequireFromString("8700")) {
		t.Errorf("monthly trend %v, want January-September with 900 in July and 8700 in September", tr)
	}
}

// snapshot reads every stored column of a review but computed_at and
// run_id, as text, in table order.
func snapshot(t *testing.T, st *chstore.Store, p schema.ReviewPeriod) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, table := range []string{"dispatch_projects", "dispatch_totals", "dispatch_milestones", "dispatch_reporting"} {
		rows, err := st.Conn().Query(ctx, "DESCRIBE TABLE "+table)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			vals := make([]string, len(rows.Columns()))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if vals[0] != "computed_at" && vals[0] != "run_id" {
				cols = append(cols, "ifNull(toString("+vals[0]+"), 'NULL')")
			}
		}
		rows.Close()
		rows, err = st.Conn().Query(ctx, "SELECT concat("+strings.Join(cols, ", '|', ")+") AS line FROM "+table+
			" WHERE kind = ? AND period = ? ORDER BY line", string(p.Kind), p.Key())
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

func TestRerunLeavesIdenticalRows(t *testing.T) {
	st, _ := setupReview(t)
	ctx := context.Background()
	for _, p := range []schema.ReviewPeriod{w40, w41, octD1, sepMonthly} {
		run(t, st, p, rating.Rules{})
	}
	before := map[string]map[string][]string{}
	for _, p := range []schema.ReviewPeriod{w40, w41, octD1, sepMonthly} {
		before[p.Key()] = snapshot(t, st, p)
	}
	for _, p := range []schema.ReviewPeriod{w41, octD1, sepMonthly} {
		// Later, with another run id: the same rows, not one more. The
		// weekly and ten-day reviews read only what was received by their
		// end, so even data received since does not change them.
		s, err := rollup.Run(ctx, st, p, rating.Rules{}, rollup.RunOptions{Now: reviewNow, RunID: "again"})
		if err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, st, p); !reflect.DeepEqual(after, before[p.Key()]) {
			t.Errorf("re-running %s %s changed its rows:\n got %v\nwant %v", p.Kind, p.Key(), after, before[p.Key()])
		}
		if s.RunID != "again" || load(t, st, p).RunID != "again" {
			t.Errorf("%s: run id not replaced", p.Key())
		}
	}
	late := &schema.InvestmentReport{
		Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "lishui-fgw", Revision: 3, ReportedBy: "fixture"},
		ProjectID: "a-station", Period: "2025-09",
		MonthCompletedWan: schema.MustWan("2500"), YTDCompletedWan: schema.MustWan("8500"), CorrectionReason: "再次更正",
	}
	if err := rolluptest.InsertReceipts(ctx, st, []rolluptest.Receipt{{ReceivedAt: reviewNow.Add(time.Hour), Event: late}}, 1000); err != nil {
		t.Fatal(err)
	}
	later := rollup.RunOptions{Now: reviewNow.Add(2 * time.Hour)}
	for _, p := range []schema.ReviewPeriod{w41, octD1} {
		if _, err := rollup.Run(ctx, st, p, rating.Rules{}, later); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, st, p); !reflect.DeepEqual(after, before[p.Key()]) {
			t.Errorf("a correction received after %s's end changed it", p.Key())
		}
	}
	// The monthly review reads every revision so far: it takes the
	// correction, and replaces its rows.
	if _, err := rollup.Run(ctx, st, sepMonthly, rating.Rules{}, later); err != nil {
		t.Fatal(err)
	}
	if r := row(t, load(t, st, sepMonthly), "a-station"); r.ReportRevision != 3 || !r.YTDCompletedWan.Equal(decimal.RequireFromString("8500")) {
		t.Errorf("the monthly re-run did not take the correction: %+v", r)
	}
	if n := len(snapshot(t, st, sepMonthly)["dispatch_projects"]); n != 8 {
		t.Errorf("monthly has %d project rows after re-runs, want 8", n)
	}
	if !reflect.DeepEqual(snapshot(t, st, w40), before["2025-W40"]) {
		t.Error("re-running other periods changed 2025-W40")
	}
}

func TestEscalationAfterConsecutiveReviews(t *testing.T) {
	st, receipts := setupReview(t)
	rules := rating.Rules{EscalateAfter: 2}
	var prev *modelBoard
	var boards []*rollup.Board
	for _, p := range []schema.ReviewPeriod{w39, w40, w41} {
		run(t, st, p, rules)
		b := load(t, st, p)
		want := model(t, receipts, p, reviewNow, modelRules{band: 10, escalate: 2}, prev)
		compareModel(t, b, want)
		prev = want
		boards = append(boards, b)
	}
	// e-levee is yellow on investment in all three weeks: red from the
	// second, and says why.
	var got []string
	for _, b := range boards {
		r := row(t, b, "e-levee")
		got = append(got, fmt.Sprintf("%s %d %s", r.Status, r.ShortStreak, r.Change))
	}
	if want := []string{"yellow 1 first", "red 2 newly_red", "red 3 same"}; !reflect.DeepEqual(got, want) {
		t.Errorf("e-levee over three weeks: %q, want %q (%s)", got, want, statuses(boards[2].Projects))
	}
	if r := row(t, boards[1], "e-levee"); !strings.Contains(r.ReasonZh, "连续2次调度低于序时进度（达到2次即升级），升为红榜") {
		t.Errorf("e-levee's reason does not say it escalated: %s", r.ReasonZh)
	}
	// Without the previous review stored, the streak starts again.
	ctx := context.Background()
	if err := st.Conn().Exec(ctx, "ALTER TABLE dispatch_projects DROP PARTITION (?, ?, ?)", "weekly", w40.Key(), "test-"+w40.Key()); err != nil {
		t.Fatal(err)
	}
	run(t, st, w41, rules)
	if r := row(t, load(t, st, w41), "e-levee"); r.Status != rating.Yellow || r.ShortStreak != 1 || r.Change != rollup.ChangeFirst {
		t.Errorf("e-levee without 2025-W40 stored: %s %d %s", r.Status, r.ShortStreak, r.Change)
	}
}

func TestChangingTheRulesReRatesAPastPeriod(t *testing.T) {
	st, receipts := setupReview(t)
	run(t, st, w40, rating.Rules{})
	run(t, st, w41, rating.Rules{})
	if r := row(t, load(t, st, w41), "e-levee"); r.Status != rating.Yellow {
		t.Fatalf("e-levee is %s with the default band", r.Status)
	}
	// A band of 5 points: e-levee, 7.08 points short, is red now.
	run(t, st, w41, rating.Rules{YellowBand: decimal.NewFromInt(5)})
	b := load(t, st, w41)
	compareModel(t, b, model(t, receipts, w41, reviewNow, modelRules{band: 5}, model(t, receipts, w40, reviewNow, defaultModel, nil)))
	if r := row(t, b, "e-levee"); r.Status != rating.Red || !strings.Contains(r.ReasonZh, "（超过5个百分点）") {
		t.Errorf("e-levee with a 5-point band: %s %s", r.Status, r.ReasonZh)
	}
	// Ratio mode: 71.00 / 78.08 = 90.93% of time progress is green.
	run(t, st, w41, rating.Rules{Mode: rating.ModeRatio})
	if r := row(t, load(t, st, w41), "e-levee"); r.Status != rating.Green || !strings.Contains(r.ReasonZh, "为序时进度78.08%的90.93%（不低于80%）") {
		t.Errorf("e-levee in ratio mode: %s %s", r.Status, r.ReasonZh)
	}
}

func TestWorkingDayDeadline(t *testing.T) {
	st, _ := setupReview(t)
	// National Day: 1-8 October off, Saturday 11 October worked. The 5th
	// working day of October is Tuesday the 14th.
	rules := rating.Rules{Deadline: rating.Deadline{WorkingDays: true, Workdays: []string{"2025-10-11"},
		Holidays: []string{"2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"}}}
	run(t, st, sepMonthly, rules)
	b := load(t, st, sepMonthly)
	if got := reporting(b); got["b-road"] != "on_time 0" || got["c-reservoir"] != "on_time 0" || got["f-hospital"] != "missing 6" {
		t.Errorf("with working days: %v", got)
	}
	for _, r := range b.Reporting {
		if want := time.Date(2025, 10, 15, 0, 0, 0, 0, schema.Location()); !r.Deadline.Equal(want) {
			t.Fatalf("deadline %v, want %v", r.Deadline, want)
		}
	}
	// Weekly: the September report is not due at the end of 2025-W41
	// (12 October), so the month due is August.
	run(t, st, w41, rules)
	for _, r := range load(t, st, w41).Reporting {
		if r.ReportPeriod.String() != "2025-08" {
			t.Fatalf("2025-W41 with working days: %s due, want 2025-08", r.ReportPeriod)
		}
	}
}

func TestPhasedPlanBasis(t *testing.T) {
	st, _ := setupReview(t)
	run(t, st, sepMonthly, rating.Rules{Basis: rating.BasisPhasedPlan})
	b := load(t, st, sepMonthly)
	// a-station plans 7100 of 10000 by September: 71.00%; the others have
	// no phased plan and use 9/12.
	a := row(t, b, "a-station")
	if a.TimeProgressPct.StringFixed(2) != "71.00" || a.Status != rating.Green || !strings.Contains(a.ReasonZh, "高于分月计划进度71.00%共4.00个百分点") {
		t.Errorf("a-station on the phased basis: %s %s %s", a.TimeProgressPct, a.Status, a.ReasonZh)
	}
	if e := row(t, b, "e-levee"); e.TimeProgressPct.StringFixed(2) != "75.00" {
		t.Errorf("e-levee without a phased plan: %s", e.TimeProgressPct)
	}
	// fgw: a-station 10000 at 71% and d-park 5000 at 75%: (7100 + 3750) / 15000 = 72.33%.
	for _, g := range b.Totals {
		if g.Dimension == rollup.DimensionDepartment && g.Key == "lishui-fgw" && g.TimeProgressPct.StringFixed(2) != "72.33" {
			t.Errorf("fgw time progress %s, want the plan-weighted 72.33", g.TimeProgressPct)
		}
	}
}

func TestRunAndLoadReject(t *testing.T) {
	ctx := context.Background()
	st := rolluptest.Store(t)
	tests := []struct {
		name   string
		p      schema.ReviewPeriod
		rules  rating.Rules
		now    time.Time
		target error
		words  string
	}{
		{"a week that has not ended is rejected", w41, rating.Rules{}, time.Date(2025, 10, 12, 23, 0, 0, 0, schema.Location()), rollup.ErrPeriodNotOver,
			"2025-W41 (2025年第41周（10月6日至10月12日）) ends at 2025-10-13 00:00:00 and it is 2025-10-12 23:00:00; its review reads the data received by its end, so run it at or after then (the last ended weekly period is 2025-W40)"},
		{"a ten-day period that has not ended is rejected", octD1, rating.Rules{}, time.Date(2025, 10, 10, 9, 0, 0, 0, schema.Location()), rollup.ErrPeriodNotOver, "the last ended dekad period is 2025-09-D3"},
		{"a month that has not started is rejected", period("monthly", "2025-11"), rating.Rules{}, reviewNow, rollup.ErrFuturePeriod, "2025-11 is after the current month 2025-10"},
		{"invalid rules are rejected", w40, rating.Rules{Mode: "stars"}, reviewNow, rating.ErrBadRules, `weekly rollup 2025-W40: invalid rating rules: mode "stars" is not a rating mode`},
		{"an empty register is rejected", w40, rating.Rules{}, reviewNow, rollup.ErrNoProjects, "register projects first"},
		{"a hand-made period is rejected", schema.ReviewPeriod{Kind: schema.ReviewWeekly, Start: w41.Start, End: w41.End.AddDate(0, 0, 1)}, rating.Rules{}, reviewNow, nil, "build periods with schema.ParseReviewPeriod"},
		{"an unknown kind is rejected", schema.ReviewPeriod{Kind: "yearly"}, rating.Rules{}, reviewNow, nil, `review kind "yearly": expected weekly, dekad or monthly`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rollup.Run(ctx, st, tt.p, tt.rules, rollup.RunOptions{Now: tt.now})
			if err == nil || (tt.target != nil && !errors.Is(err, tt.target)) || !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("Run = %v, want an error (%v) containing %q", err, tt.target, tt.words)
			}
		})
	}
	_, err := rollup.Load(ctx, st, w41)
	if !errors.Is(err, rollup.ErrNotComputed) || !strings.Contains(err.Error(), "compute it with `kpp rollup weekly --period 2025-W41`") {
		t.Fatalf("Load of an absent review = %v", err)
	}
	if list, err := rollup.ListComputed(ctx, st); err != nil || len(list) != 0 {
		t.Fatalf("ListComputed of an empty database = %v, %v", list, err)
	}
}

func TestListComputed(t *testing.T) {
	st, _ := setupReview(t)
	for _, p := range []schema.ReviewPeriod{sepMonthly, w39, octD1, w41, sepD3} {
		run(t, st, p, rating.Rules{})
	}
	list, err := rollup.ListComputed(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range list {
		got = append(got, string(p.Kind)+" "+p.Key())
	}
	// Newest first by start: W41 (6 Oct), 10-D1 (1 Oct), 09-D3 (21 Sep) and
	// W39 (22 Sep)…
	want := []string{"weekly 2025-W41", "dekad 2025-10-D1", "weekly 2025-W39", "dekad 2025-09-D3", "monthly 2025-09"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListComputed = %q, want %q", got, want)
	}
	for _, p := range list {
		if _, err := rollup.Load(context.Background(), st, p); err != nil {
			t.Errorf("Load(%s %s): %v", p.Kind, p.Key(), err)
		}
	}
}
