package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// TestReportMonthsHoldsAnyCompletion stores a project whose annual plan is
// 0.0001 万元 (the smallest amount a department can send) and a report of
// 1,000,000 万元 against it: report_months answers with its completion,
// 10^12 %, exactly, instead of failing for every project on an overflow.
func TestReportMonthsHoldsAnyCompletion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn := st.Conn()
	d := decimal.RequireFromString
	now := time.Date(2025, 10, 20, 12, 0, 0, 0, schema.Location())
	insert(ctx, t, conn, "project_registrations", []string{"event_id", "project_id", "revision", "name_zh", "name_en", "region", "category", "stage",
		"department_id", "department_name", "total_investment_wan", "plan_years", "plan_annual_wan", "plan_monthly_wan",
		"milestone_ids", "milestone_titles", "milestone_planned", "synthetic_fields", "reported_by", "source", "received_at",
		"stream_seq", "keep_rank", "ingested_at"}, [][]any{
		{"p-tiny-1", "tiny-plan", uint32(1), "计划极小的项目", "", "丽水市", "transport", "construction", "ls-jtj", "丽水市交通运输局",
			(*decimal.Decimal)(nil), []uint16{2025}, []decimal.Decimal{d("0.0001")}, [][]decimal.Decimal{{}}, []string{}, []string{},
			[]time.Time{}, []string{}, "test", "test", now, uint64(1), uint64(1), now},
	})
	insert(ctx, t, conn, "investment_reports", []string{"event_id", "project_id", "department_id", "period", "period_start", "revision",
		"month_completed_wan", "ytd_completed_wan", "since_start_completed_wan", "physical_progress", "problems", "next_steps",
		"correction_reason", "reported_by", "reported_at", "source", "received_at", "stream_seq", "keep_rank", "ingested_at"}, [][]any{
		{"i-tiny-2025-09-1", "tiny-plan", "ls-jtj", "2025-09", time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), uint32(1), d("1000000"), d("1000000"),
			(*decimal.Decimal)(nil), "", "", "", "", "test", (*time.Time)(nil), "test", now, uint64(2), uint64(2), now},
	})
	rows, err := runQuery(ctx, conn, "SELECT completion_pct, gap_pp FROM report_months WHERE project_id = 'tiny-plan' ORDER BY period")
	if err != nil {
		t.Fatalf("report_months with a plan of 0.0001 万元: %v", err)
	}
	if err := all(eq(len(rows), 1), eqDec(rows[0]["completion_pct"], "1000000000000"), eqDec(rows[0]["gap_pp"], "999999999925")); err != nil {
		t.Errorf("report_months: %v\nrows: %v", err, rows)
	}
}
