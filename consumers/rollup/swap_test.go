package rollup_test

import (
	"context"
	"errors"
	"fmt"
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

// Issue 9, item 2: a tiny annual plan made the completion percentage
// overflow its column; the monthly review failed for everyone after it had
// dropped the old board. These tests reproduce the attack and check that a
// failed run leaves the previous board whole.

// planned is a registration with an annual plan for 2025.
func planned(id, dept, plan string) string {
	return fmt.Sprintf(`{"schema": "kpp.project.v1", "department_id": %q, "revision": 1, "reported_by": "t", "source": "demo",
 "project_id": %q, "name_zh": "项目%s", "region": "丽水市", "category": "transport", "stage": "construction",
 "department_name": "部门%s", "annual_plans": [{"year": 2025, "amount_wan": %q}], "milestones": []}`, dept, id, id, dept, plan)
}

// TestExtremeAmountsAreStored: the largest amount a department may send,
// against the smallest plan (0.0001 万元) and the largest, on two projects:
// completion is 10^20 %, the overall year-to-date twice what one amount
// may be. The review stores and reads them exactly.
func TestExtremeAmountsAreStored(t *testing.T) {
	ctx := context.Background()
	st := rolluptest.Store(t)
	const most = "99999999999999.9999" // just below schema.MaxWan
	receipts := []rolluptest.Receipt{
		receipt(t, "2025-01-10 09:00:00", planned("p-tiny", "d1", "0.0001")),
		receipt(t, "2025-01-10 09:00:00", planned("p-huge", "d2", most)),
		receipt(t, "2025-10-03 10:00:00", report("p-tiny", "d1", "2025-09", 1, most, most)),
		receipt(t, "2025-10-03 10:00:00", report("p-huge", "d2", "2025-09", 1, most, most)),
	}
	if err := rolluptest.InsertReceipts(ctx, st, receipts, 1); err != nil {
		t.Fatal(err)
	}
	s, err := rollup.Run(ctx, st, sepMonthly, rating.Rules{}, rollup.RunOptions{Now: reviewNow})
	if err != nil {
		t.Fatalf("monthly review with extreme amounts: %v", err)
	}
	amount := decimal.RequireFromString(most)
	b := load(t, st, sepMonthly)
	tiny, huge := row(t, b, "p-tiny"), row(t, b, "p-huge")
	want := rating.Percent(amount, decimal.RequireFromString("0.0001"))
	if tiny.CompletionPct == nil || !tiny.CompletionPct.Equal(want) || tiny.Status != rating.Green {
		t.Errorf("p-tiny: completion %v, status %s; want %s %%, green", tiny.CompletionPct, tiny.Status, want)
	}
	if huge.CompletionPct == nil || !huge.CompletionPct.Equal(decimal.NewFromInt(100)) {
		t.Errorf("p-huge: completion %v, want 100", huge.CompletionPct)
	}
	all := b.Totals[0]
	if all.Dimension != rollup.DimensionAll || !all.YTDCompletedWan.Equal(amount.Add(amount)) ||
		!all.AnnualPlanWan.Equal(amount.Add(decimal.RequireFromString("0.0001"))) || !s.YTDCompletedWan.Equal(all.YTDCompletedWan) {
		t.Errorf("overall totals: %+v", all)
	}
	// The analysts' view holds the same figure.
	var pct string
	if err := st.Conn().QueryRow(ctx, "SELECT toString(completion_pct) FROM dispatch_monthly WHERE period = '2025-09' AND project_id = 'p-tiny'").Scan(&pct); err != nil {
		t.Fatal(err)
	}
	if pct != want.StringFixed(2) {
		t.Errorf("dispatch_monthly completion_pct %s, want %s", pct, want.StringFixed(2))
	}
}

// board is everything a reader gets of a stored review: Load, LoadOutline,
// EachProject, ListComputed and the analysts' views.
func board(t *testing.T, st *chstore.Store, p schema.ReviewPeriod) string {
	t.Helper()
	ctx := context.Background()
	var out strings.Builder
	b := load(t, st, p)
	fmt.Fprintf(&out, "load %+v\n", *b)
	o, err := rollup.LoadOutline(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "outline %+v\n", *o)
	if err := rollup.EachProject(ctx, st, p, rollup.ProjectSelection{}, func(r rollup.ProjectRow) error {
		fmt.Fprintf(&out, "each %+v\n", r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	list, err := rollup.ListComputed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "list %v\n", list)
	for _, q := range []string{
		"SELECT concat(project_id, ' ', toString(status), ' ', toString(ytd_completed_wan), ' ', toString(computed_at)) AS l FROM dispatch_monthly WHERE period = ? ORDER BY l",
		"SELECT concat(toString(dimension), ' ', key, ' ', toString(projects), ' ', toString(ytd_completed_wan)) AS l FROM dispatch_monthly_totals WHERE period = ? ORDER BY l",
	} {
		rows, err := st.Conn().Query(ctx, q, p.Key())
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "view %s\n", l)
		}
		rows.Close()
	}
	return out.String()
}

// storedRuns is the run ids with rows of the review in each table.
func storedRuns(t *testing.T, st *chstore.Store, p schema.ReviewPeriod) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range []string{"dispatch_projects", "dispatch_totals", "dispatch_milestones", "dispatch_reporting"} {
		rows, err := st.Conn().Query(context.Background(), "SELECT DISTINCT run_id FROM "+table+" WHERE kind = ? AND period = ? ORDER BY run_id",
			string(p.Kind), p.Key())
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], id)
		}
		rows.Close()
	}
	return out
}

func onlyRun(id string) map[string][]string {
	out := map[string][]string{}
	for _, table := range []string{"dispatch_projects", "dispatch_totals", "dispatch_milestones", "dispatch_reporting"} {
		out[table] = []string{id}
	}
	return out
}

// TestFailedRunLeavesTheBoard: a re-run that ClickHouse refuses after it
// stored most of its rows (the totals, written last, are refused), and a
// run that died half-way (its rows and its "started" record left behind),
// change nothing a reader sees; the next good run replaces the board and
// leaves only its own rows.
func TestFailedRunLeavesTheBoard(t *testing.T) {
	ctx := context.Background()
	st, _ := setupReview(t)
	if _, err := rollup.Run(ctx, st, sepMonthly, rating.Rules{}, rollup.RunOptions{Now: reviewNow, RunID: "good"}); err != nil {
		t.Fatal(err)
	}
	before := board(t, st, sepMonthly)

	// A correction that a re-run would show.
	late := &schema.InvestmentReport{
		Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "lishui-fgw", Revision: 3, ReportedBy: "fixture"},
		ProjectID: "a-station", Period: "2025-09",
		MonthCompletedWan: schema.MustWan("2500"), YTDCompletedWan: schema.MustWan("8500"), CorrectionReason: "再次更正",
	}
	if err := rolluptest.InsertReceipts(ctx, st, []rolluptest.Receipt{{ReceivedAt: reviewNow.Add(time.Hour), Event: late}}, 1000); err != nil {
		t.Fatal(err)
	}
	later := reviewNow.Add(2 * time.Hour)

	// ClickHouse refuses every totals row: the projects, milestones and
	// reporting rows of the run are stored by then.
	exec := func(q string) {
		t.Helper()
		if err := st.Conn().Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("ALTER TABLE dispatch_totals ADD COLUMN refuse UInt8 DEFAULT throwIf(projects < 4294967295)")
	_, err := rollup.Run(ctx, st, sepMonthly, rating.Rules{}, rollup.RunOptions{Now: later, RunID: "refused"})
	if err == nil || !strings.Contains(err.Error(), "dispatch_totals") {
		t.Fatalf("the refused run: %v, want ClickHouse's refusal of dispatch_totals", err)
	}
	if after := board(t, st, sepMonthly); after != before {
		t.Errorf("a refused run changed the board:\n got %s\nwant %s", after, before)
	}
	if got := storedRuns(t, st, sepMonthly); !reflect.DeepEqual(got, onlyRun("good")) {
		t.Errorf("after the refused run the tables hold runs %v, want only good's (its own rows dropped)", got)
	}
	exec("ALTER TABLE dispatch_totals DROP COLUMN refuse")

	// A run that died: recorded as started, some rows written.
	b, err := st.Conn().PrepareBatch(ctx, "INSERT INTO review_runs (kind, period, run_id, state, started_ns, at)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("monthly", "2025-09", "dead", "started", uint64(time.Now().UnixNano()), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO dispatch_projects (kind, period, period_start, period_end, cutoff, project_id, name_zh, status, computed_at, run_id)
SELECT kind, period, period_start, period_end, cutoff, project_id, 'dead run', 'red', computed_at, 'dead'
FROM dispatch_projects WHERE kind = 'monthly' AND period = '2025-09' AND run_id = 'good'`)
	if after := board(t, st, sepMonthly); after != before {
		t.Errorf("a dead run's rows changed the board:\n got %s\nwant %s", after, before)
	}

	// The next good run replaces the board.
	s, err := rollup.Run(ctx, st, sepMonthly, rating.Rules{}, rollup.RunOptions{Now: later, RunID: "fixed"})
	if err != nil {
		t.Fatal(err)
	}
	if s.DropErr != nil || !reflect.DeepEqual(s.DroppedRuns, []string{"dead", "good"}) {
		t.Errorf("the good run dropped %v (%v), want dead and good", s.DroppedRuns, s.DropErr)
	}
	nb := load(t, st, sepMonthly)
	if r := row(t, nb, "a-station"); nb.RunID != "fixed" || r.ReportRevision != 3 {
		t.Errorf("after the good run: run %s, a-station revision %d; want fixed, 3", nb.RunID, r.ReportRevision)
	}
	if got := storedRuns(t, st, sepMonthly); !reflect.DeepEqual(got, onlyRun("fixed")) {
		t.Errorf("after the good run the tables hold runs %v, want only fixed's", got)
	}
	if n := len(strings.Split(strings.TrimSpace(board(t, st, sepMonthly)), "\n")); n != len(strings.Split(strings.TrimSpace(before), "\n")) {
		t.Errorf("the new board has %d lines, the old one %d", n, len(strings.Split(before, "\n")))
	}

	// A run id is used once.
	_, err = rollup.Run(ctx, st, sepMonthly, rating.Rules{}, rollup.RunOptions{Now: later, RunID: "fixed"})
	if !errors.Is(err, rollup.ErrRunIDUsed) {
		t.Errorf("re-using run id fixed: %v, want ErrRunIDUsed", err)
	}
	if load(t, st, sepMonthly).RunID != "fixed" {
		t.Error("the refused re-use changed the board")
	}
}
