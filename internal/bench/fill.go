package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// Portfolio describes synthetic stored data written straight into
// ClickHouse by [Fill], for the scenarios that need a province's decade
// already stored: Projects registrations and, for each, one investment
// report per month from First for Months months.
//
// The figures vary by project so that a review rates a mix like a real
// board's: against a plan of 12,000 万元 a year, project n completes 500
// 万元 a month when n mod 50 = 0 (red, 2%), 950 when n mod 50 is 5 or 6
// (yellow, 4%), else 1,000 + (n mod 7) × 20 (green). One project in 100 (n mod 100 = 1) misses the
// last month, one in 100 (n mod 100 = 7) reports it late (on the 25th of
// the next month), one in 50 (n mod 50 = 3) has a milestone planned on the
// 10th of the last month that is never reported met.
type Portfolio struct {
	// Prefix starts every project id ("hist-" gives hist-0000000 …).
	Prefix string
	// Projects is the number of registered projects.
	Projects int
	// First is the first reported month; Months the number of months.
	First  schema.Period
	Months int
	// Departments, Regions: how many distinct ones the projects spread
	// over. Defaults 40 and 20.
	Departments, Regions int
}

// ProjectID is the id of the portfolio's n-th project.
func (p Portfolio) ProjectID(n int) string { return fmt.Sprintf("%s%07d", p.Prefix, n) }

// Reports is the number of investment reports [Fill] stores.
func (p Portfolio) Reports() int {
	missing := 0
	if p.Projects > 1 {
		missing = (p.Projects-2)/100 + 1
	}
	return p.Projects*p.Months - missing
}

// Last is the last reported month.
func (p Portfolio) Last() schema.Period {
	last := p.First
	for i := 1; i < p.Months; i++ {
		last = last.Next()
	}
	return last
}

func (p Portfolio) withDefaults() Portfolio {
	if p.Departments <= 0 {
		p.Departments = 40
	}
	if p.Regions <= 0 {
		p.Regions = 20
	}
	return p
}

// fillSeqBase keeps the filled rows' stream sequences far above the ones a
// real stream assigns in a bench run.
const fillSeqBase = 1_000_000_000_000

// fillChunk is how many reports one INSERT … SELECT writes.
const fillChunk = 2_000_000

// Fill writes the portfolio into the tables of conn's database (migrated
// before): the registrations as one batch, the reports by INSERT … SELECT
// over system.numbers so that ClickHouse generates them itself (about a
// million rows a second on two cores with 18.16). progress, when not nil,
// is called after each chunk with the reports written so far.
func Fill(ctx context.Context, conn driver.Conn, p Portfolio, progress func(done, total int)) error {
	if p.Projects <= 0 || p.Months <= 0 {
		return fmt.Errorf("bench: fill: want projects and months > 0, got %d and %d", p.Projects, p.Months)
	}
	p = p.withDefaults()
	if err := fillProjects(ctx, conn, p); err != nil {
		return err
	}
	total := p.Projects * p.Months
	for start := 0; start < total; start += fillChunk {
		n := min(fillChunk, total-start)
		q := fmt.Sprintf(`INSERT INTO investment_reports (event_id, project_id, department_id, period, period_start, revision,
 month_completed_wan, ytd_completed_wan, since_start_completed_wan, physical_progress, problems, next_steps,
 correction_reason, reported_by, reported_at, source, received_at, stream_seq, keep_rank, ingested_at)
SELECT concat('fill-r-%[1]s', toString(i)), concat('%[1]s', substring(toString(10000000 + pn), 2)), concat('dept-', toString(pn %% %[2]d)),
 substring(toString(ps), 1, 7), ps, toUInt32(1),
 toDecimal64(amount, 4), toDecimal64(amount * toMonth(ps), 4), NULL,
 '主体工程施工中', '', '', '', 'bench', NULL, 'bench',
 toDateTime(addDays(addMonths(ps, 1), if(pn %% 100 = 7 AND k = %[3]d - 1, 24, 1)), 'Asia/Shanghai'),
 toUInt64(%[4]d + i), toUInt64(18446744073709551615 - %[4]d - i), now()
FROM (SELECT number AS i, intDiv(number, %[3]d) AS pn, number %% %[3]d AS k, addMonths(toDate('%[5]s'), toInt32(k)) AS ps,
             multiIf(pn %% 50 = 0, 500, pn %% 50 IN (5, 6), 950, 1000 + (pn %% 7) * 20) AS amount
      FROM system.numbers LIMIT %[6]d, %[7]d)
WHERE NOT (pn %% 100 = 1 AND k = %[3]d - 1)`,
			p.Prefix, p.Departments, p.Months, fillSeqBase, p.First.Start().Format(time.DateOnly), start, n)
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("bench: fill investment reports %d to %d: %w", start, start+n, err)
		}
		if progress != nil {
			progress(start+n, total)
		}
	}
	return nil
}

// fillProjects registers the portfolio's projects, each with an annual
// plan of 12,000 万元 for every year it reports.
func fillProjects(ctx context.Context, conn driver.Conn, p Portfolio) error {
	cats := schema.Categories()
	var years []uint16
	var annual []decimal.Decimal
	var monthly [][]decimal.Decimal
	for y := p.First.Year; y <= p.Last().Year; y++ {
		years = append(years, uint16(y))
		annual = append(annual, decimal.NewFromInt(12000))
		monthly = append(monthly, []decimal.Decimal{})
	}
	msPlanned := p.Last().Start().AddDate(0, 0, 9)
	received := p.First.Start().AddDate(0, -1, 0)
	const batch = 50_000
	for start := 0; start < p.Projects; start += batch {
		b, err := conn.PrepareBatch(ctx, `INSERT INTO project_registrations (event_id, project_id, revision, name_zh, name_en, region, category, stage,
 department_id, department_name, total_investment_wan, plan_years, plan_annual_wan, plan_monthly_wan,
 milestone_ids, milestone_titles, milestone_planned, synthetic_fields, reported_by, source,
 received_at, stream_seq, keep_rank, ingested_at)`)
		if err != nil {
			return fmt.Errorf("bench: fill projects: %w", err)
		}
		now := time.Now()
		for n := start; n < min(start+batch, p.Projects); n++ {
			ids, titles, planned := []string{}, []string{}, []time.Time{}
			if n%50 == 3 {
				ids, titles, planned = []string{"ms-1"}, []string{"主体工程开工"}, []time.Time{msPlanned}
			}
			total := decimal.NewFromInt(100000)
			seq := uint64(fillSeqBase + n)
			if err := b.Append("fill-p-"+p.ProjectID(n), p.ProjectID(n), uint32(1), fmt.Sprintf("基准项目%d", n), "",
				fmt.Sprintf("基准市%d区", n%p.Regions), string(cats[n%len(cats)]), string(schema.StageConstruction),
				fmt.Sprintf("dept-%d", n%p.Departments), fmt.Sprintf("基准部门%d", n%p.Departments), &total,
				years, annual, monthly, ids, titles, planned, []string{"plan_annual_wan", "month_completed_wan"}, "bench", "bench",
				received, seq, ^uint64(0)-seq, now); err != nil {
				_ = b.Abort()
				return fmt.Errorf("bench: fill projects: %w", err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("bench: fill projects: %w", err)
		}
	}
	return nil
}
