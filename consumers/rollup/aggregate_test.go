package rollup_test

import (
	"context"
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

// The revisions fixture: a handful of projects whose reports and milestone
// updates are corrected before and after the cut-offs of 2025-W40 (ends
// 2025-10-06 00:00) and 2025-W41 (ends 2025-10-13 00:00). ClickHouse picks
// the revisions (sql/review_*.sql); these tests check its picks against the
// independent model and by hand.

func at(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, schema.Location())
	if err != nil {
		panic(err)
	}
	return t
}

func receipt(t *testing.T, receivedAt, event string) rolluptest.Receipt {
	t.Helper()
	ev, err := schema.DecodeAny([]byte(event))
	if err == nil {
		err = ev.Validate(at(receivedAt))
	}
	if err != nil {
		t.Fatalf("fixture event %s: %v", event, err)
	}
	return rolluptest.Receipt{ReceivedAt: at(receivedAt), Event: ev}
}

func registration(id, dept string, milestones string) string {
	return fmt.Sprintf(`{"schema": "kpp.project.v1", "department_id": %q, "revision": 1, "reported_by": "t", "source": "demo",
 "project_id": %q, "name_zh": "项目%s", "region": "丽水市", "category": "transport", "stage": "construction",
 "department_name": "部门%s", "annual_plans": [{"year": 2025, "amount_wan": "12000"}], "milestones": [%s]}`, dept, id, id, dept, milestones)
}

func report(id, dept, period string, revision int, month, ytd string) string {
	reason := ""
	if revision > 1 {
		reason = `, "correction_reason": "更正"`
	}
	return fmt.Sprintf(`{"schema": "kpp.investment_report.v1", "department_id": %q, "revision": %d, "reported_by": "t", "source": "demo",
 "project_id": %q, "period": %q, "month_completed_wan": %q, "ytd_completed_wan": %q%s}`, dept, revision, id, period, month, ytd, reason)
}

func milestone(id, dept, ms string, revision int, status, asOf, planned, forecast string) string {
	dates := ""
	if planned != "" {
		dates += fmt.Sprintf(`, "planned_date": %q`, planned)
	}
	if forecast != "" {
		dates += fmt.Sprintf(`, "forecast_date": %q`, forecast)
	}
	return fmt.Sprintf(`{"schema": "kpp.milestone_update.v1", "department_id": %q, "revision": %d, "reported_by": "t", "source": "demo",
 "project_id": %q, "milestone_id": %q, "title": "节点%s", "status": %q, "as_of": %q%s}`, dept, revision, id, ms, ms, status, asOf, dates)
}

func revisionsFixture(t *testing.T) []rolluptest.Receipt {
	const reg = "2025-01-10 09:00:00"
	return []rolluptest.Receipt{
		receipt(t, reg, registration("p-mixed", "d1", `{"milestone_id": "m1", "title": "主体完工", "planned_date": "2025-09-30"},
 {"milestone_id": "m3", "title": "竣工验收", "planned_date": "2025-12-01"}`)),
		receipt(t, reg, registration("p-none", "d1", "")),
		receipt(t, reg, registration("p-late", "d2", "")),
		receipt(t, reg, registration("p-fixed", "d2", "")),

		// p-mixed: August on time; September revision 1 before W40's
		// cut-off, revision 2 in W41, revision 3 after W41.
		receipt(t, "2025-09-03 10:00:00", report("p-mixed", "d1", "2025-08", 1, "900", "7200")),
		receipt(t, "2025-10-03 10:00:00", report("p-mixed", "d1", "2025-09", 1, "900", "8100")),
		receipt(t, "2025-10-08 10:00:00", report("p-mixed", "d1", "2025-09", 2, "1200", "8400")),
		receipt(t, "2025-10-15 10:00:00", report("p-mixed", "d1", "2025-09", 3, "1500", "8700")),
		// p-late: September first arrives late, then corrected.
		receipt(t, "2025-09-04 10:00:00", report("p-late", "d2", "2025-08", 1, "800", "6400")),
		receipt(t, "2025-10-09 10:00:00", report("p-late", "d2", "2025-09", 1, "800", "7200")),
		receipt(t, "2025-10-10 10:00:00", report("p-late", "d2", "2025-09", 2, "850", "7250")),
		// p-fixed: September on time, corrected after the deadline and
		// after W40's cut-off.
		receipt(t, "2025-10-02 10:00:00", report("p-fixed", "d2", "2025-09", 1, "1000", "9000")),
		receipt(t, "2025-10-09 10:00:00", report("p-fixed", "d2", "2025-09", 2, "1100", "9100")),

		// Milestones of p-mixed: m1 (registered) forecast 10-20 before W40's
		// cut-off, then 10-25 in W41 (slipped 5 days); m2 only in updates;
		// m3's latest revision has no forecast any more (an earlier one said
		// 10-15, which would be due within 14 days).
		receipt(t, "2025-10-01 10:00:00", milestone("p-mixed", "d1", "m1", 1, "in_progress", "2025-10-01", "2025-09-30", "2025-10-20")),
		receipt(t, "2025-10-10 10:00:00", milestone("p-mixed", "d1", "m1", 2, "in_progress", "2025-10-10", "2025-09-30", "2025-10-25")),
		receipt(t, "2025-10-07 10:00:00", milestone("p-mixed", "d1", "m2", 1, "scheduled", "2025-10-07", "2025-10-20", "")),
		receipt(t, "2025-10-01 10:00:00", milestone("p-mixed", "d1", "m3", 1, "in_progress", "2025-10-01", "2025-12-01", "2025-10-15")),
		receipt(t, "2025-10-08 10:00:00", milestone("p-mixed", "d1", "m3", 2, "in_progress", "2025-10-08", "2025-12-01", "")),
	}
}

func setupRevisions(t *testing.T) (*chstore.Store, []rolluptest.Receipt) {
	t.Helper()
	st := rolluptest.Store(t)
	receipts := revisionsFixture(t)
	if err := rolluptest.InsertReceipts(context.Background(), st, receipts, 1); err != nil {
		t.Fatal(err)
	}
	return st, receipts
}

// TestRevisionsAroundTheCutoffs: each review takes the revisions received
// before its cut-off, the period's investment from the revision used at
// the previous cut-off, lateness from the first revision, a project
// without reports as missing with 0, and milestones at their latest update
// (NULL dates included).
func TestRevisionsAroundTheCutoffs(t *testing.T) {
	st, receipts := setupRevisions(t)
	var prev *modelBoard
	boards := map[string]*rollup.Board{}
	for _, p := range []schema.ReviewPeriod{w40, w41} {
		run(t, st, p, rating.Rules{})
		b := load(t, st, p)
		want := model(t, receipts, p, reviewNow, defaultModel, prev)
		compareModel(t, b, want)
		prev, boards[p.Key()] = want, b
	}
	run(t, st, sepMonthly, rating.Rules{})
	mo := load(t, st, sepMonthly)
	compareModel(t, mo, model(t, receipts, sepMonthly, reviewNow, defaultModel, nil))

	dec := decimal.RequireFromString
	w40b, w41b := boards["2025-W40"], boards["2025-W41"]
	if r := row(t, w40b, "p-mixed"); r.ReportRevision != 1 || !r.YTDCompletedWan.Equal(dec("8100")) || !r.Reported {
		t.Errorf("W40 p-mixed uses September revision 1 (received before the cut-off): %+v", r)
	}
	if r := row(t, w41b, "p-mixed"); r.ReportRevision != 2 || !r.YTDCompletedWan.Equal(dec("8400")) ||
		!r.MonthCompletedWan.Equal(dec("1200")) || !r.PeriodCompletedWan.Equal(dec("300")) {
		t.Errorf("W41 p-mixed uses revision 2 and completes 8400 − 8100 = 300 in the week: %+v", r)
	}
	if r := row(t, mo, "p-mixed"); r.ReportRevision != 3 || !r.YTDCompletedWan.Equal(dec("8700")) || !r.PeriodCompletedWan.Equal(dec("1500")) {
		t.Errorf("monthly p-mixed uses revision 3, received by the run: %+v", r)
	}
	// Corrected after the previous cut-off: the week's investment is the
	// rise of the corrected YTD over the one used then.
	if r := row(t, w41b, "p-fixed"); r.ReportRevision != 2 || !r.PeriodCompletedWan.Equal(dec("100")) {
		t.Errorf("W41 p-fixed: revision 2, 9100 − 9000 = 100 in the week: %+v", r)
	}
	if r := row(t, w40b, "p-late"); r.Reported || r.ReportPeriod.String() != "2025-08" || !r.YTDCompletedWan.Equal(dec("6400")) {
		t.Errorf("W40 p-late: September not in by the cut-off, YTD of August: %+v", r)
	}
	for _, p := range []*rollup.Board{w40b, w41b, mo} {
		if r := row(t, p, "p-none"); r.Reported || r.ReportPeriod.Year != 0 || !r.YTDCompletedWan.IsZero() ||
			!r.PeriodCompletedWan.IsZero() || r.Status != rating.Red || r.CompletionPct == nil || !r.CompletionPct.IsZero() {
			t.Errorf("%s p-none has no report: %+v", p.Period.Key(), r)
		}
	}
	if got, want := reporting(w40b), map[string]string{"p-mixed": "on_time 0", "p-none": "missing 0", "p-late": "missing 0", "p-fixed": "on_time 0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("W40 reporting %v, want %v", got, want)
	}
	if got, want := reporting(w41b), map[string]string{"p-mixed": "on_time 0", "p-none": "missing 7", "p-late": "late 4", "p-fixed": "on_time 0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("W41 reporting %v, want %v", got, want)
	}
	for _, r := range w41b.Reporting {
		if r.ProjectID == "p-late" && !r.FirstReceivedAt.Equal(at("2025-10-09 10:00:00")) {
			t.Errorf("p-late's first revision arrived 2025-10-09 10:00, got %v", r.FirstReceivedAt)
		}
	}
	var alerts []string
	for _, m := range w41b.Milestones {
		alerts = append(alerts, fmt.Sprintf("%s %s/%s %d", m.Alert, m.ProjectID, m.MilestoneID, m.Days))
	}
	// m1's new forecast (10-25) is 13 days after the week's last day: due,
	// and slipped from 10-20. m3's forecast is NULL at its latest
	// revision: no due alert from the earlier 10-15.
	if want := []string{"due p-mixed/m1 13", "due p-mixed/m2 8", "overdue p-mixed/m1 12", "slipped p-mixed/m1 5"}; !reflect.DeepEqual(alerts, want) {
		t.Errorf("W41 milestone alerts:\n got %q\nwant %q", alerts, want)
	}
}

// TestSlicesGiveTheSameReview: reading the projects in slices of any size
// stores exactly the rows of one slice.
func TestSlicesGiveTheSameReview(t *testing.T) {
	ctx := context.Background()
	for _, fixture := range []string{"review", "revisions"} {
		var st *chstore.Store
		if fixture == "review" {
			st, _ = setupReview(t)
		} else {
			st, _ = setupRevisions(t)
		}
		for _, p := range []schema.ReviewPeriod{w40, w41, octD1, sepMonthly} {
			var want map[string][]string
			for _, per := range []int{0, 1, 2, 3} {
				if _, err := rollup.Run(ctx, st, p, rating.Rules{}, rollup.RunOptions{Now: reviewNow, RunID: fmt.Sprintf("slices-%d", per), SliceProjects: per}); err != nil {
					t.Fatal(err)
				}
				got := snapshot(t, st, p)
				if per == 0 {
					want = got
					if len(got["dispatch_projects"]) == 0 {
						t.Fatalf("%s %s: no rows", fixture, p.Key())
					}
					continue
				}
				for table, rows := range want {
					if !reflect.DeepEqual(got[table], rows) {
						t.Errorf("%s %s in slices of %d: %s differs:\n got %s\nwant %s", fixture, p.Key(), per, table,
							strings.Join(got[table], "\n     "), strings.Join(rows, "\n     "))
					}
				}
			}
		}
	}
}
