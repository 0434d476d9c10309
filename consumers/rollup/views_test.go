package rollup_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
)

// TestAnalystViewsGiveTheBoard computes the September 2025 board and reads
// the analysts' views: report_months has the board's figures for every
// project that reported September, and review_projects is the board with
// the labels the reports print.
func TestAnalystViewsGiveTheBoard(t *testing.T) {
	st, _ := setupReview(t)
	run(t, st, sepMonthly, rating.Rules{})
	b := load(t, st, sepMonthly)
	ctx := context.Background()

	type fig struct{ ytd, plan, completion, progress, gap *decimal.Decimal }
	months := map[string]fig{}
	rows, err := st.Conn().Query(ctx, `SELECT project_id, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct, gap_pp
FROM report_months WHERE period = '2025-09' ORDER BY project_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var ytd, progress decimal.Decimal
		var plan, completion, gap *decimal.Decimal
		if err := rows.Scan(&id, &ytd, &plan, &completion, &progress, &gap); err != nil {
			t.Fatal(err)
		}
		months[id] = fig{&ytd, plan, completion, &progress, gap}
	}
	rows.Close()
	same := func(a, b *decimal.Decimal) bool {
		return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
	}
	checked := 0
	for _, r := range b.Projects {
		m, ok := months[r.ProjectID]
		if !r.Reported {
			if ok {
				t.Errorf("%s did not report September but report_months has a row", r.ProjectID)
			}
			continue
		}
		checked++
		if !ok {
			t.Errorf("%s reported September: no row in report_months", r.ProjectID)
			continue
		}
		if !same(m.ytd, &r.YTDCompletedWan) || !same(m.plan, r.AnnualPlanWan) || !same(m.completion, r.CompletionPct) ||
			!same(m.progress, &r.TimeProgressPct) || !same(m.gap, r.GapPP) {
			t.Errorf("%s: report_months ytd %v plan %v completion %v progress %v gap %v; the board %v %v %v %v %v", r.ProjectID,
				m.ytd, m.plan, m.completion, m.progress, m.gap, r.YTDCompletedWan, r.AnnualPlanWan, r.CompletionPct, r.TimeProgressPct, r.GapPP)
		}
	}
	if checked < 3 {
		t.Errorf("only %d projects reported September; the fixture should have more", checked)
	}

	var n, labelled uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count(), countIf(status_zh != '' AND category_zh != '' AND stage_zh != '' AND change_zh != '' AND prev_status_zh != '' AND kind_zh = '月例会')
FROM review_projects WHERE kind = 'monthly' AND period = '2025-09'`).Scan(&n, &labelled); err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(b.Projects)) || labelled != n {
		t.Errorf("review_projects: %d rows, %d with every label; the board has %d projects", n, labelled, len(b.Projects))
	}
}
