package rollup_test

import (
	"context"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/schema"
)

// docs/dispatch.md: a milestone slipped when "its forecast date as of this
// cut-off is later than its forecast date as of the previous period's
// cut-off". A monthly review's cut-off is the instant it ran (the 6th, by
// default), so the previous period's cut-off is the instant the previous
// month's review ran — not the 1st of the month. The expectations below
// are written from that sentence: a forecast moved on 3 September (after
// the 1st, before the August board ran on the 6th) is a slip on the August
// board only, and the September board compares with what the August board
// showed.
func TestMonthlySlipIsMeasuredFromThePreviousBoard(t *testing.T) {
	ctx := context.Background()
	st := rolluptest.Store(t)
	loc := schema.Location()
	at := func(month time.Month, day, hour int) time.Time {
		return time.Date(2025, month, day, hour, 0, 0, 0, loc)
	}
	common := func(kind string, rev int) schema.Common {
		return schema.Common{Schema: kind, DepartmentID: "qy-jtj", Revision: rev, ReportedBy: "测试"}
	}
	update := func(ms, forecast string, rev int) *schema.MilestoneUpdate {
		return &schema.MilestoneUpdate{Common: common(schema.SchemaMilestone, rev), ProjectID: "slip-road", MilestoneID: ms,
			Status: schema.MilestoneInProgress, PlannedDate: "2025-12-31", ForecastDate: forecast, AsOf: "2025-09-01"}
	}
	receipts := []rolluptest.Receipt{
		{ReceivedAt: at(time.July, 1, 9), Event: &schema.Project{Common: common(schema.SchemaProject, 1), ProjectID: "slip-road",
			NameZh: "测试道路", Region: "丽水市庆元县", Category: schema.CategoryTransport, Stage: schema.StageConstruction,
			TotalInvestmentWan: schema.MustWan("1000"), AnnualPlans: []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("100")}},
			Milestones: []schema.PlannedMilestone{
				{MilestoneID: "bridge", Title: "大桥合龙", PlannedDate: "2025-12-31"},
				{MilestoneID: "tunnel", Title: "隧道贯通", PlannedDate: "2025-12-31"},
			}}},
		{ReceivedAt: at(time.July, 10, 9), Event: update("bridge", "2025-12-31", 1)},
		// Between the 1st and the August board (6 September 07:00).
		{ReceivedAt: at(time.September, 3, 9), Event: update("bridge", "2026-02-28", 2)},
		{ReceivedAt: at(time.September, 4, 9), Event: update("tunnel", "2026-03-31", 1)},
		// After the August board.
		{ReceivedAt: at(time.September, 20, 9), Event: update("tunnel", "2026-04-30", 2)},
	}
	if err := rolluptest.InsertReceipts(ctx, st, receipts, 1); err != nil {
		t.Fatal(err)
	}
	slips := func(p schema.Period, runAt time.Time) map[string]rollup.MilestoneAlert {
		t.Helper()
		if _, err := rollup.Monthly(ctx, st, p, rating.Rules{}, runAt); err != nil {
			t.Fatal(err)
		}
		rp, err := schema.ParseReviewPeriod(schema.ReviewMonthly, p.String())
		if err != nil {
			t.Fatal(err)
		}
		b, err := rollup.Load(ctx, st, rp)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]rollup.MilestoneAlert{}
		for _, a := range b.Milestones {
			if a.Alert == rollup.AlertSlipped {
				out[a.MilestoneID] = a
			}
		}
		return out
	}
	day := func(s string) time.Time {
		d, err := schema.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// August: July was never reviewed, so August compares with its own
	// first day: the bridge moved from 2025-12-31 to 2026-02-28.
	aug := slips(schema.Period{Year: 2025, Month: time.August}, at(time.September, 6, 7))
	if a, ok := aug["bridge"]; !ok || a.Days != 59 || !a.PrevForecastDate.Equal(day("2025-12-31")) || !a.ForecastDate.Equal(day("2026-02-28")) {
		t.Errorf("August board: bridge slip %+v (found %v); want 59 days, 2025-12-31 → 2026-02-28", a, ok)
	}
	if _, ok := aug["tunnel"]; ok {
		t.Errorf("August board: the tunnel had no forecast before this month, so it cannot have slipped: %+v", aug["tunnel"])
	}

	// September: the previous board ran on 6 September and showed the
	// bridge at 2026-02-28 and the tunnel at 2026-03-31.
	sep := slips(schema.Period{Year: 2025, Month: time.September}, at(time.October, 6, 7))
	if a, ok := sep["bridge"]; ok {
		t.Errorf("September board lists the bridge as slipped again (%d days from %s): the August board already showed its forecast 2026-02-28",
			a.Days, a.PrevForecastDate.Format(time.DateOnly))
	}
	if a, ok := sep["tunnel"]; !ok || a.Days != 30 || !a.PrevForecastDate.Equal(day("2026-03-31")) {
		t.Errorf("September board: tunnel slip %+v (found %v); want 30 days from the 2026-03-31 the August board showed", a, ok)
	}
}
