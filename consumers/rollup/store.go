package rollup

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// The board's tables (schema/migrations/0002_dispatch_monthly.sql). The
// inserts name their columns; the reads name the same ones.
const (
	insertProjects = `INSERT INTO dispatch_monthly (period, project_id, name_zh, region, category, department_id,
department_name, stage, reported, report_revision, month_completed_wan, ytd_completed_wan, annual_plan_wan,
completion_pct, time_progress_pct, gap_pp, overdue_milestones, max_overdue_days, status, reason_zh, reason_en, computed_at)`

	insertTotals = `INSERT INTO dispatch_monthly_totals (period, dimension, key, label, projects, reported, green,
yellow, red, unrated, month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct,
gap_pp, computed_at)`

	selectProjects = `SELECT project_id, name_zh, region, category, department_id, department_name, stage, reported,
report_revision, month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct, gap_pp,
overdue_milestones, max_overdue_days, status, reason_zh, reason_en, computed_at
FROM dispatch_monthly
WHERE period = ?
ORDER BY project_id`

	selectTotals = `SELECT dimension, key, label, projects, reported, green, yellow, red, unrated, month_completed_wan,
ytd_completed_wan, annual_plan_wan, completion_pct, time_progress_pct, gap_pp
FROM dispatch_monthly_totals
WHERE period = ?
ORDER BY dimension, key`
)

// dispatchTables are the tables a monthly run replaces, partitioned by period.
var dispatchTables = [...]string{"dispatch_monthly", "dispatch_monthly_totals"}

// store replaces the month's rows: it drops the month's partition of both
// tables, then inserts the board. A re-run therefore leaves exactly the
// rows of its own board. The period is passed as a bound parameter;
// clickhouse-go binds it client-side as a quoted, escaped string literal,
// which ClickHouse 18.16 and current releases accept in DROP PARTITION.
func store(ctx context.Context, conn driver.Conn, b *Board) error {
	period := b.Period.String()
	for _, table := range dispatchTables {
		if err := conn.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION ?", period); err != nil {
			return fmt.Errorf("drop partition %s of %s: %w", period, table, err)
		}
	}
	if len(b.Projects) > 0 {
		batch, err := conn.PrepareBatch(ctx, insertProjects)
		if err != nil {
			return fmt.Errorf("insert %d rows into dispatch_monthly for %s: %w", len(b.Projects), period, err)
		}
		for _, r := range b.Projects {
			err := batch.Append(period, r.ProjectID, r.NameZh, r.Region, r.Category, r.DepartmentID,
				r.DepartmentName, r.Stage, boolByte(r.Reported), r.ReportRevision, r.MonthCompletedWan, r.YTDCompletedWan,
				r.AnnualPlanWan, r.CompletionPct, r.TimeProgressPct, r.GapPP, clampU16(r.OverdueMilestones),
				clampU32(r.MaxOverdueDays), string(r.Status), r.ReasonZh, r.ReasonEn, b.ComputedAt)
			if err != nil {
				_ = batch.Abort()
				return fmt.Errorf("insert dispatch_monthly row of project %s for %s: %w", r.ProjectID, period, err)
			}
		}
		if err := batch.Send(); err != nil {
			return fmt.Errorf("insert %d rows into dispatch_monthly for %s: %w", len(b.Projects), period, err)
		}
	}
	if len(b.Totals) > 0 {
		batch, err := conn.PrepareBatch(ctx, insertTotals)
		if err != nil {
			return fmt.Errorf("insert %d rows into dispatch_monthly_totals for %s: %w", len(b.Totals), period, err)
		}
		for _, t := range b.Totals {
			err := batch.Append(period, string(t.Dimension), t.Key, t.Label, uint32(t.Projects), uint32(t.Reported),
				uint32(t.Green), uint32(t.Yellow), uint32(t.Red), uint32(t.Unrated), t.MonthCompletedWan, t.YTDCompletedWan,
				t.AnnualPlanWan, t.CompletionPct, t.TimeProgressPct, t.GapPP, b.ComputedAt)
			if err != nil {
				_ = batch.Abort()
				return fmt.Errorf("insert dispatch_monthly_totals row %s/%s for %s: %w", t.Dimension, t.Key, period, err)
			}
		}
		if err := batch.Send(); err != nil {
			return fmt.Errorf("insert %d rows into dispatch_monthly_totals for %s: %w", len(b.Totals), period, err)
		}
	}
	return nil
}

// Load reads the stored board of a month. It returns an error wrapping
// [ErrNotComputed] when the month has no stored rows.
func Load(ctx context.Context, st *chstore.Store, p schema.Period) (*Board, error) {
	if st == nil {
		return nil, fmt.Errorf("load monthly board %s: no store (open one with chstore.Open)", p)
	}
	if _, err := schema.ParsePeriod(p.String()); err != nil {
		return nil, fmt.Errorf("load monthly board: %w", err)
	}
	conn := st.Conn()
	b := &Board{Period: p}
	period := p.String()
	err := each(ctx, conn, "read dispatch_monthly for "+period, selectProjects, []any{period}, func(rows driver.Rows) error {
		var r ProjectRow
		var reported uint8
		var overdue uint16
		var maxDays uint32
		var status string
		var computed time.Time
		if err := rows.Scan(&r.ProjectID, &r.NameZh, &r.Region, &r.Category, &r.DepartmentID, &r.DepartmentName, &r.Stage,
			&reported, &r.ReportRevision, &r.MonthCompletedWan, &r.YTDCompletedWan, &r.AnnualPlanWan, &r.CompletionPct,
			&r.TimeProgressPct, &r.GapPP, &overdue, &maxDays, &status, &r.ReasonZh, &r.ReasonEn, &computed); err != nil {
			return err
		}
		r.Reported, r.OverdueMilestones, r.MaxOverdueDays = reported == 1, int(overdue), int(maxDays)
		r.Status = rating.Status(status)
		if computed.After(b.ComputedAt) {
			b.ComputedAt = computed.In(schema.Location())
		}
		b.Projects = append(b.Projects, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, conn, "read dispatch_monthly_totals for "+period, selectTotals, []any{period}, func(rows driver.Rows) error {
		var t TotalRow
		var dim string
		var n [6]uint32
		if err := rows.Scan(&dim, &t.Key, &t.Label, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &t.MonthCompletedWan,
			&t.YTDCompletedWan, &t.AnnualPlanWan, &t.CompletionPct, &t.TimeProgressPct, &t.GapPP); err != nil {
			return err
		}
		t.Dimension = Dimension(dim)
		t.Projects, t.Reported, t.Green, t.Yellow, t.Red, t.Unrated = int(n[0]), int(n[1]), int(n[2]), int(n[3]), int(n[4]), int(n[5])
		b.Totals = append(b.Totals, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(b.Projects) == 0 && len(b.Totals) == 0 {
		return nil, fmt.Errorf("%w for %s in database %s; compute it with `kpp rollup monthly --period %s`", ErrNotComputed, period, st.Database(), period)
	}
	return b, nil
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func clampU16(n int) uint16 { return uint16(min(max(n, 0), math.MaxUint16)) }
func clampU32(n int) uint32 { return uint32(min(max(n, 0), math.MaxUint32)) }
