package rollup_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	september = schema.Period{Year: 2025, Month: time.September}
	august    = schema.Period{Year: 2025, Month: time.August}
	// runAt is the fixed time of the runs: after the fixture's last event.
	runAt = time.Date(2025, 10, 6, 9, 30, 0, 0, schema.Location())
)

// setup opens a fresh database, migrates it and loads the fixture.
func setup(t *testing.T) (*chstore.Store, []schema.Event) {
	t.Helper()
	ctx := context.Background()
	st := rolluptest.Store(t)
	events, err := rolluptest.ReadEvents(filepath.Join("..", "..", "testdata", "rollup", "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rolluptest.Insert(ctx, st, events, 1, time.Date(2025, 10, 3, 9, 0, 0, 0, schema.Location())); err != nil {
		t.Fatal(err)
	}
	return st, events
}

// The fixture's intent, written by hand: the status of every project in
// September and words its reason must contain. The expected numbers are
// computed from the events below, independently of the package.
var septemberIntent = map[string]struct {
	status rating.Status
	words  []string
}{
	"qingyuan-pumped-storage":           {rating.Green, []string{"投资完成率80.00%，高于序时进度75.00%共5.00个百分点"}},
	"yilongqing-expressway-qingyuan":    {rating.Red, []string{"节点「主体工程开工」（计划2025-06-30）逾期92天未完成（超过30天）"}},
	"longquan-smart-manufacturing-park": {rating.Green, []string{"达到序时进度75.00%", "逾期20天未完成（未超过30天）"}},
	"qingyuan-water-supply-reservoir":   {rating.Yellow, []string{"投资完成率65.00%，低于序时进度75.00%共10.00个百分点（不超过10个百分点）"}},
	"liandu-south-ring-road":            {rating.Red, []string{"共10.01个百分点（超过10个百分点）"}},
	"longquan-river-restoration":        {rating.Yellow, []string{"投资完成率70.00%", "「河道清淤完成」（计划2025-09-15）逾期15天"}},
	"liandu-oujiang-levee":              {rating.Red, []string{"本月未报送，本月按0计，累计取2025-08报送数", "投资完成率62.50%，低于序时进度75.00%共12.50个百分点（超过10个百分点）"}},
	"qingyuan-mushroom-industry-park":   {rating.Unrated, []string{"未下达年度计划，不评级"}},
	"longquan-g528-upgrade":             {rating.Red, []string{"本月未报送，本年尚无报送，累计按0计", "逾期60天未完成（超过30天）"}},
}

func TestMonthlyStoresTheBoardOfTheFixture(t *testing.T) {
	st, events := setup(t)
	ctx := context.Background()

	sum, err := rollup.Monthly(ctx, st, september, rating.Rules{}, runAt)
	if err != nil {
		t.Fatal(err)
	}
	want := expectBoard(t, events, september)
	got := readStored(t, st, september)
	compareBoards(t, got, want)

	if len(want.projects) != len(septemberIntent) {
		t.Fatalf("fixture has %d projects, intent lists %d", len(want.projects), len(septemberIntent))
	}
	for _, r := range got.projects {
		in := septemberIntent[r.ProjectID]
		if r.Status != in.status {
			t.Errorf("%s: status %s, the fixture means %s (%s)", r.ProjectID, r.Status, in.status, r.ReasonZh)
		}
		for _, w := range in.words {
			if !strings.Contains(r.ReasonZh, w) {
				t.Errorf("%s: reason %q does not contain %q", r.ProjectID, r.ReasonZh, w)
			}
		}
		if r.ReasonEn == "" {
			t.Errorf("%s: no English reason", r.ProjectID)
		}
	}

	got9 := [...]int{sum.Projects, sum.Reported, sum.Green, sum.Yellow, sum.Red, sum.Unrated, sum.ProjectRows, sum.TotalRows}
	if want9 := [...]int{9, 7, 2, 2, 4, 1, 9, len(want.totals)}; got9 != want9 || sum.Period != monthOf(september) || !sum.ComputedAt.Equal(runAt) {
		t.Errorf("summary %+v: counts %v, want %v", *sum, got9, want9)
	}
	if sum.RowsWritten() != 9+len(want.totals)+sum.MilestoneRows+sum.ReportingRows || sum.ReportingRows != 9 {
		t.Errorf("RowsWritten = %d with %d reporting rows, want %d + the alerts + 9", sum.RowsWritten(), sum.ReportingRows, 9+len(want.totals))
	}
}

func TestMonthlyRerunReplacesTheMonthAndLeavesOthers(t *testing.T) {
	st, events := setup(t)
	ctx := context.Background()

	if _, err := rollup.Monthly(ctx, st, august, rating.Rules{}, runAt); err != nil {
		t.Fatal(err)
	}
	if _, err := rollup.Monthly(ctx, st, september, rating.Rules{}, runAt); err != nil {
		t.Fatal(err)
	}
	augustRows := readStored(t, st, august)
	compareBoards(t, augustRows, expectBoard(t, events, august))
	first := readStored(t, st, september)

	// The same run again: the same rows, not one more.
	if _, err := rollup.Monthly(ctx, st, september, rating.Rules{}, runAt); err != nil {
		t.Fatal(err)
	}
	again := readStored(t, st, september)
	if !reflect.DeepEqual(again, first) {
		t.Fatalf("re-run changed the stored rows:\n got %+v\nwant %+v", again, first)
	}
	if n := countRows(t, st, "dispatch_monthly", september); n != uint64(len(first.projects)) {
		t.Fatalf("dispatch_monthly has %d rows for %s after a re-run, want %d", n, september, len(first.projects))
	}
	if n := countRows(t, st, "dispatch_monthly_totals", september); n != uint64(len(first.totals)) {
		t.Fatalf("dispatch_monthly_totals has %d rows for %s after a re-run, want %d", n, september, len(first.totals))
	}

	// A later correction is picked up by the next run, which replaces the
	// month's rows; August is untouched.
	fix := &schema.InvestmentReport{
		Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "lishui-jtj", Revision: 2, ReportedBy: "fixture"},
		ProjectID: "liandu-south-ring-road", Period: "2025-09",
		MonthCompletedWan: schema.MustWan("601"), YTDCompletedWan: schema.MustWan("6500"), CorrectionReason: "补报1万元",
	}
	if err := fix.Validate(time.Time{}); err != nil {
		t.Fatal(err)
	}
	events = append(events, fix)
	if err := rolluptest.Insert(ctx, st, []schema.Event{fix}, 1000, runAt); err != nil {
		t.Fatal(err)
	}
	later := runAt.Add(time.Hour)
	if _, err := rollup.Monthly(ctx, st, september, rating.Rules{}, later); err != nil {
		t.Fatal(err)
	}
	want := expectBoard(t, events, september)
	want.computedAt = later
	got := readStored(t, st, september)
	compareBoards(t, got, want)
	for _, r := range got.projects {
		if r.ProjectID == "liandu-south-ring-road" && (r.Status != rating.Yellow || r.ReportRevision != 2) {
			t.Errorf("corrected ring road: status %s revision %d, want yellow at revision 2", r.Status, r.ReportRevision)
		}
	}
	if n := countRows(t, st, "dispatch_monthly", september); n != uint64(len(want.projects)) {
		t.Fatalf("dispatch_monthly has %d rows for %s, want %d", n, september, len(want.projects))
	}
	if after := readStored(t, st, august); !reflect.DeepEqual(after, augustRows) {
		t.Fatalf("re-running September changed August")
	}
}

func TestMonthlyWithRatioRules(t *testing.T) {
	st, _ := setup(t)
	ctx := context.Background()
	if _, err := rollup.Monthly(ctx, st, september, rating.Rules{Mode: rating.ModeRatio}, runAt); err != nil {
		t.Fatal(err)
	}
	b, err := rollup.Load(ctx, st, monthOf(september))
	if err != nil {
		t.Fatal(err)
	}
	// 62.50 / 75.00 = 83.33% of time progress: green in ratio mode.
	for _, r := range b.Projects {
		if r.ProjectID == "liandu-oujiang-levee" {
			if r.Status != rating.Green || !strings.Contains(r.ReasonZh, "为序时进度75.00%的83.33%（不低于80%）") {
				t.Fatalf("levee in ratio mode: %s %s", r.Status, r.ReasonZh)
			}
			return
		}
	}
	t.Fatal("levee missing from the board")
}

func TestMonthlyRejects(t *testing.T) {
	ctx := context.Background()
	st := rolluptest.Store(t)
	tests := []struct {
		name   string
		period schema.Period
		rules  rating.Rules
		target error
		words  string
	}{
		{"a month that has not started is rejected", schema.Period{Year: 2025, Month: time.November}, rating.Rules{},
			rollup.ErrFuturePeriod, "2025-11 is after the current month 2025-10; expected 2025-10 or earlier"},
		{"invalid rules are rejected", september, rating.Rules{Mode: "stars"}, rating.ErrBadRules, `mode "stars" is not a rating mode`},
		{"an empty register is rejected", september, rating.Rules{}, rollup.ErrNoProjects, "register projects first"},
		{"a zero period is rejected", schema.Period{}, rating.Rules{}, nil, `period "0000-00": month 00 is not 01-12`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rollup.Monthly(ctx, st, tt.period, tt.rules, runAt)
			if err == nil || (tt.target != nil && !errors.Is(err, tt.target)) || !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("Monthly = %v, want an error (%v) containing %q", err, tt.target, tt.words)
			}
		})
	}
	if n := countRows(t, st, "dispatch_monthly", september); n != 0 {
		t.Fatalf("a rejected run wrote %d rows", n)
	}
	_, err := rollup.Load(ctx, st, monthOf(september))
	if !errors.Is(err, rollup.ErrNotComputed) || !strings.Contains(err.Error(), "kpp rollup monthly --period 2025-09") {
		t.Fatalf("Load of an empty month = %v, want ErrNotComputed suggesting the command", err)
	}
}

func TestLoadReadsWhatMonthlyStored(t *testing.T) {
	st, events := setup(t)
	ctx := context.Background()
	if _, err := rollup.Monthly(ctx, st, september, rating.Rules{}, runAt); err != nil {
		t.Fatal(err)
	}
	b, err := rollup.Load(ctx, st, monthOf(september))
	if err != nil {
		t.Fatal(err)
	}
	for i := range b.Projects {
		// The columns of issue 3 are checked by review_test.go.
		b.Projects[i].ReportPeriod, b.Projects[i].PeriodCompletedWan, b.Projects[i].Change = schema.Period{}, decimal.Decimal{}, ""
		b.Projects[i].ShortStreak = 0
	}
	for i := range b.Totals {
		b.Totals[i].PeriodCompletedWan, b.Totals[i].Rank, b.Totals[i].Missing, b.Totals[i].Late = decimal.Decimal{}, 0, 0, 0
	}
	got := stored{computedAt: b.ComputedAt, projects: b.Projects, totals: b.Totals}
	compareBoards(t, got, expectBoard(t, events, september))
	if tot := b.Total(); tot.Projects != 9 || tot.Label != "全部" {
		t.Errorf("Total() = %+v", tot)
	}
}

func monthOf(p schema.Period) schema.ReviewPeriod {
	rp, err := schema.ParseReviewPeriod(schema.ReviewMonthly, p.String())
	if err != nil {
		panic(err)
	}
	return rp
}

// ---- reading the stored rows, independently of Load ----

type stored struct {
	computedAt time.Time
	projects   []rollup.ProjectRow
	totals     []rollup.TotalRow
}

func readStored(t *testing.T, st *chstore.Store, p schema.Period) stored {
	t.Helper()
	ctx := context.Background()
	var s stored
	rows, err := st.Conn().Query(ctx, `SELECT project_id, name_zh, region, category, department_id, department_name, stage,
reported, report_revision, month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct,
gap_pp, overdue_milestones, max_overdue_days, toString(status), reason_zh, reason_en, computed_at, period
FROM dispatch_monthly WHERE period = ? ORDER BY project_id`, p.String())
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r rollup.ProjectRow
		var reported uint8
		var overdue uint16
		var days uint32
		var status, period string
		var at time.Time
		if err := rows.Scan(&r.ProjectID, &r.NameZh, &r.Region, &r.Category, &r.DepartmentID, &r.DepartmentName, &r.Stage,
			&reported, &r.ReportRevision, &r.MonthCompletedWan, &r.YTDCompletedWan, &r.AnnualPlanWan, &r.CompletionPct,
			&r.TimeProgressPct, &r.GapPP, &overdue, &days, &status, &r.ReasonZh, &r.ReasonEn, &at, &period); err != nil {
			t.Fatal(err)
		}
		if period != p.String() {
			t.Fatalf("row of %s has period %s", p, period)
		}
		r.Reported, r.OverdueMilestones, r.MaxOverdueDays, r.Status = reported == 1, int(overdue), int(days), rating.Status(status)
		if !s.computedAt.IsZero() && !at.Equal(s.computedAt) {
			t.Errorf("computed_at differs between rows: %v and %v", at, s.computedAt)
		}
		s.computedAt = at
		s.projects = append(s.projects, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	rows, err = st.Conn().Query(ctx, `SELECT toString(dimension), key, label, projects, reported, green, yellow, red, unrated,
month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct, gap_pp, computed_at
FROM dispatch_monthly_totals WHERE period = ? ORDER BY dimension, key`, p.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r rollup.TotalRow
		var dim string
		var n [6]uint32
		var at time.Time
		if err := rows.Scan(&dim, &r.Key, &r.Label, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &r.MonthCompletedWan,
			&r.YTDCompletedWan, &r.AnnualPlanWan, &r.CompletionPct, &r.TimeProgressPct, &r.GapPP, &at); err != nil {
			t.Fatal(err)
		}
		if !at.Equal(s.computedAt) {
			t.Errorf("totals computed_at %v, projects %v", at, s.computedAt)
		}
		r.Dimension = rollup.Dimension(dim)
		r.Projects, r.Reported, r.Green, r.Yellow, r.Red, r.Unrated = int(n[0]), int(n[1]), int(n[2]), int(n[3]), int(n[4]), int(n[5])
		s.totals = append(s.totals, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

func countRows(t *testing.T, st *chstore.Store, table string, p schema.Period) uint64 {
	t.Helper()
	var n uint64
	if err := st.Conn().QueryRow(context.Background(), "SELECT count() FROM "+table+" WHERE period = ?", p.String()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ---- the expected board, computed straight from the events ----

type expected struct {
	computedAt time.Time
	projects   []rollup.ProjectRow
	totals     []rollup.TotalRow
}

// expectBoard computes the board of p from the fixture's events with the
// default rule, in plain Go: the latest revision of every registration,
// report and milestone update; the month's report or else the latest
// earlier one of the year; milestones late at the month's last day; exact
// rationals for every ratio, rounded half away from zero at the end.
func expectBoard(t *testing.T, events []schema.Event, p schema.Period) expected {
	t.Helper()
	regs := map[string]*schema.Project{}
	reps := map[[2]string]*schema.InvestmentReport{}
	mss := map[[2]string]*schema.MilestoneUpdate{}
	for _, ev := range events {
		switch e := ev.(type) {
		case *schema.Project:
			if old := regs[e.ProjectID]; old == nil || e.Revision > old.Revision {
				regs[e.ProjectID] = e
			}
		case *schema.InvestmentReport:
			k := [2]string{e.ProjectID, e.Period}
			if old := reps[k]; old == nil || e.Revision > old.Revision {
				reps[k] = e
			}
		case *schema.MilestoneUpdate:
			k := [2]string{e.ProjectID, e.MilestoneID}
			if old := mss[k]; old == nil || e.Revision > old.Revision {
				mss[k] = e
			}
		}
	}
	lastDay := p.LastDay().Format(schema.DateLayout)
	m := int64(p.Month)
	tpPct := rnd(big.NewRat(100*m, 12))
	var ids []string
	for id := range regs {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	want := expected{computedAt: runAt}
	type acc struct {
		row      rollup.TotalRow
		ratedYTD decimal.Decimal
	}
	groups := map[[2]string]*acc{}
	var order [][2]string
	for _, id := range ids {
		reg := regs[id]
		r := rollup.ProjectRow{ProjectID: id, NameZh: reg.NameZh, Region: reg.Region, Category: string(reg.Category),
			DepartmentID: reg.DepartmentID, DepartmentName: reg.DepartmentName, Stage: string(reg.Stage), TimeProgressPct: tpPct}
		if rep := reps[[2]string{id, p.String()}]; rep != nil {
			r.Reported, r.ReportRevision = true, uint32(rep.Revision)
			r.MonthCompletedWan, r.YTDCompletedWan = rep.MonthCompletedWan.Value, rep.YTDCompletedWan.Value
		} else {
			for mo := p.Month - 1; mo >= time.January; mo-- {
				if rep := reps[[2]string{id, schema.Period{Year: p.Year, Month: mo}.String()}]; rep != nil {
					r.YTDCompletedWan = rep.YTDCompletedWan.Value
					break
				}
			}
		}
		// milestones: the registration's planned dates, then updates
		planned := map[string]string{}
		for _, pm := range reg.Milestones {
			planned[pm.MilestoneID] = pm.PlannedDate
		}
		for k, u := range mss {
			if k[0] == id {
				if _, ok := planned[u.MilestoneID]; !ok && u.PlannedDate != "" {
					planned[u.MilestoneID] = u.PlannedDate
				}
			}
		}
		for mid, pd := range planned {
			u := mss[[2]string{id, mid}]
			met := u != nil && u.Status == schema.MilestoneMet && (u.ActualDate == "" || u.ActualDate <= lastDay)
			if met || pd >= lastDay {
				continue
			}
			days := int(mustDate(t, lastDay).Sub(mustDate(t, pd)).Hours() / 24)
			r.OverdueMilestones++
			r.MaxOverdueDays = max(r.MaxOverdueDays, days)
		}
		r.Status = rating.Unrated
		if ap, ok := reg.PlanFor(p.Year); ok && ap.AmountWan.Value.IsPositive() {
			plan := ap.AmountWan.Value
			r.AnnualPlanWan = &plan
			c := new(big.Rat).Quo(r.YTDCompletedWan.Rat(), plan.Rat())
			c.Mul(c, big.NewRat(100, 1))
			gap := new(big.Rat).Sub(c, big.NewRat(100*m, 12))
			cp, gp := rnd(c), rnd(gap)
			r.CompletionPct, r.GapPP = &cp, &gp
			switch {
			case gap.Sign() >= 0:
				r.Status = rating.Green
			case gap.Cmp(big.NewRat(-10, 1)) >= 0:
				r.Status = rating.Yellow
			default:
				r.Status = rating.Red
			}
			if r.MaxOverdueDays > 30 {
				r.Status = rating.Red
			}
		}
		want.projects = append(want.projects, r)

		dept := reg.DepartmentName
		for _, g := range [][3]string{{"all", "", "全部"}, {"category", string(reg.Category), reg.Category.Label()},
			{"department", reg.DepartmentID, dept}, {"region", reg.Region, reg.Region}} {
			k := [2]string{g[0], g[1]}
			a := groups[k]
			if a == nil {
				a = &acc{row: rollup.TotalRow{Dimension: rollup.Dimension(g[0]), Key: g[1], Label: g[2], TimeProgressPct: tpPct}}
				groups[k] = a
				order = append(order, k)
			}
			a.row.Projects++
			if r.Reported {
				a.row.Reported++
			}
			switch r.Status {
			case rating.Green:
				a.row.Green++
			case rating.Yellow:
				a.row.Yellow++
			case rating.Red:
				a.row.Red++
			case rating.Unrated:
				a.row.Unrated++
			}
			a.row.MonthCompletedWan = a.row.MonthCompletedWan.Add(r.MonthCompletedWan)
			a.row.YTDCompletedWan = a.row.YTDCompletedWan.Add(r.YTDCompletedWan)
			if r.Status != rating.Unrated {
				a.row.AnnualPlanWan = a.row.AnnualPlanWan.Add(*r.AnnualPlanWan)
				a.ratedYTD = a.ratedYTD.Add(r.YTDCompletedWan)
			}
		}
	}
	dimOrder := map[string]int{"all": 0, "category": 1, "department": 2, "region": 3}
	sort.Slice(order, func(i, j int) bool {
		if order[i][0] != order[j][0] {
			return dimOrder[order[i][0]] < dimOrder[order[j][0]]
		}
		return order[i][1] < order[j][1]
	})
	for _, k := range order {
		a := groups[k]
		if a.row.AnnualPlanWan.IsPositive() {
			c := new(big.Rat).Quo(a.ratedYTD.Rat(), a.row.AnnualPlanWan.Rat())
			c.Mul(c, big.NewRat(100, 1))
			cp, gp := rnd(c), rnd(new(big.Rat).Sub(c, big.NewRat(100*m, 12)))
			a.row.CompletionPct, a.row.GapPP = &cp, &gp
		}
		want.totals = append(want.totals, a.row)
	}
	return want
}

// rnd rounds half away from zero to two places, by integer arithmetic.
func rnd(x *big.Rat) decimal.Decimal {
	n := new(big.Int).Mul(x.Num(), big.NewInt(100))
	neg := n.Sign() < 0
	n.Abs(n)
	q, rem := new(big.Int).QuoRem(n, x.Denom(), new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(x.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return decimal.NewFromBigInt(q, -2)
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(schema.DateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// compareBoards compares every stored number with the expected one;
// reasons are checked by the callers.
func compareBoards(t *testing.T, got stored, want expected) {
	t.Helper()
	if !got.computedAt.Equal(want.computedAt) {
		t.Errorf("computed_at = %v, want %v", got.computedAt, want.computedAt)
	}
	if len(got.projects) != len(want.projects) {
		t.Fatalf("%d project rows stored, want %d", len(got.projects), len(want.projects))
	}
	for i, g := range got.projects {
		w := want.projects[i]
		g.ReasonZh, g.ReasonEn = "", ""
		if d := diff(g, w); d != "" {
			t.Errorf("project %s: %s", w.ProjectID, d)
		}
	}
	if len(got.totals) != len(want.totals) {
		t.Fatalf("%d total rows stored, want %d:\n got %+v\nwant %+v", len(got.totals), len(want.totals), got.totals, want.totals)
	}
	for i, g := range got.totals {
		w := want.totals[i]
		if d := diff(g, w); d != "" {
			t.Errorf("total %s/%s: %s", w.Dimension, w.Key, d)
		}
	}
}

// diff compares two structs field by field, decimals by value.
func diff(got, want any) string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	var out []string
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if !sameValue(g, w) {
			out = append(out, name+" = "+show(g)+", want "+show(w))
		}
	}
	return strings.Join(out, "; ")
}

func sameValue(g, w any) bool {
	switch gd := g.(type) {
	case decimal.Decimal:
		return gd.Equal(w.(decimal.Decimal))
	case *decimal.Decimal:
		wd := w.(*decimal.Decimal)
		return (gd == nil) == (wd == nil) && (gd == nil || gd.Equal(*wd))
	case time.Time:
		return gd.Equal(w.(time.Time))
	}
	return reflect.DeepEqual(g, w)
}

func show(v any) string {
	switch d := v.(type) {
	case *decimal.Decimal:
		if d == nil {
			return "NULL"
		}
		return d.String()
	case decimal.Decimal:
		return d.String()
	}
	return fmt.Sprint(v)
}
