package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// Reading a stored review of any size. [Load] holds every row of a board in
// memory, which a board of 100,000 projects makes several hundred MiB;
// [LoadOutline] reads everything but the project rows and the on-time
// reporting rows, and [EachProject] and [EachReporting] read those one
// ClickHouse block at a time, in the order a report shows them, so that a
// renderer holds one row at a time.

// Outline is a stored review without its project rows: the totals, the
// milestone alerts, the missing and late reporting rows, the trend, and
// what the summary needs from the project rows.
type Outline struct {
	// Board has Projects nil and, in Reporting, the missing (未报送) and late
	// (迟报) rows only, by department then project; OnTime counts the rest,
	// read with [EachReporting].
	Board
	// Projects counts the project rows; ByStatus and ByChange count them by
	// status and by change.
	Projects int
	ByStatus map[rating.Status]int
	ByChange map[Change]int
	// RatedYTDWan sums 本年累计 over the rated projects (status not
	// unrated), 万元.
	RatedYTDWan decimal.Decimal
	// OnTime counts the reporting rows on time.
	OnTime int
	// DueMonth and Deadline are the month due and its reporting deadline
	// (zero when the review has no reporting rows), as in every reporting
	// row.
	DueMonth schema.Period
	Deadline time.Time
}

// ProjectSelection chooses the project rows [EachProject] reads. The zero
// value reads every row.
type ProjectSelection struct {
	// Status, when set, keeps the projects of that status.
	Status rating.Status
	// Changed keeps the projects whose status changed since the previous
	// review of the kind, ordered by change — newly red (新晋红榜), worse,
	// better, recovered (摘牌) — and within a change in board order.
	Changed bool
}

// streamProjects reads project rows in board order: red, yellow, green,
// unrated; within a status by gap ascending (no gap last), then by project
// id. %s is the extra condition and the leading ORDER BY terms. The gap is
// sorted as a Float64, which orders the gaps of real boards exactly (up to
// 15 digits convert to distinct floats, in order; beyond, as a plan of
// 0.0001 万元 can give, ties are broken by project id): ClickHouse 18.16
// sorts 100,000 rows by a Nullable(Decimal) key in ten seconds, by the
// Float64 in a tenth of one.
const streamProjects = `SELECT project_id, name_zh, region, category, department_id, department_name, stage, report_period,
       reported, report_revision, period_completed_wan, month_completed_wan, ytd_completed_wan, annual_plan_wan,
       completion_pct, time_progress_pct, gap_pp, overdue_milestones, max_overdue_days, toString(status), reason_zh,
       reason_en, short_streak, toString(prev_status), toString(change), responsible_unit, responsible_person,
       lead_official, problems, next_steps
FROM dispatch_projects
WHERE kind = ? AND period = ? AND run_id = ?%s
ORDER BY %smultiIf(status = 'red', 0, status = 'yellow', 1, status = 'green', 2, 3), isNull(gap_pp),
         toFloat64(assumeNotNull(gap_pp)), project_id`

// EachProject calls fn with the stored project rows of a review that sel
// selects, in board order (see [ProjectSelection] for the order of the
// changed rows). It reads the rows as ClickHouse sends them, so a board of
// any size needs the memory of one block. It stops at fn's first error and
// returns it wrapped.
func EachProject(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod, sel ProjectSelection, fn func(ProjectRow) error) error {
	conn, args, what, err := openReview(ctx, st, p)
	if err != nil {
		return err
	}
	where, order := "", ""
	if sel.Status != "" {
		where += " AND status = ?"
		args = append(args, string(sel.Status))
	}
	if sel.Changed {
		where += " AND change IN ('newly_red', 'worse', 'better', 'recovered')"
		order = "indexOf(['newly_red', 'worse', 'better', 'recovered'], toString(change)), "
	}
	return streamRows(ctx, conn, what("dispatch_projects"), fmt.Sprintf(streamProjects, where, order), args, func(rows driver.Rows) error {
		r, err := scanProject(rows)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// EachReporting calls fn with the stored reporting rows of a review of one
// status (on_time, late or missing), by department then project.
func EachReporting(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod, status ReportingStatus, fn func(ReportingRow) error) error {
	conn, args, what, err := openReview(ctx, st, p)
	if err != nil {
		return err
	}
	return eachReporting(ctx, conn, what, args, status, fn)
}

// eachReporting is EachReporting of the review and run of args (kind,
// period key, run id).
func eachReporting(ctx context.Context, conn driver.Conn, what func(string) string, args []any, status ReportingStatus,
	fn func(ReportingRow) error) error {
	const q = `SELECT report_period, project_id, name_zh, department_id, department_name, toString(status), deadline,
       first_received_at, days_late
FROM dispatch_reporting
WHERE kind = ? AND period = ? AND run_id = ? AND status = ?
ORDER BY department_id, project_id`
	return streamRows(ctx, conn, what("the "+string(status)+" rows of dispatch_reporting"), q, append(args[:len(args):len(args)], string(status)), func(rows driver.Rows) error {
		r, err := scanReporting(rows)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// LoadOutline reads a stored review without its project rows (see
// [Outline]). Like [Load], it returns an error wrapping [ErrNotComputed],
// with the command that computes the review, when the review has no stored
// rows.
func LoadOutline(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod) (*Outline, error) {
	conn, args, what, err := openReview(ctx, st, p)
	if err != nil {
		return nil, err
	}
	o := &Outline{Board: Board{Period: p}, ByStatus: map[rating.Status]int{}, ByChange: map[Change]int{}}

	// The counts, the rated YTD and the run, per status and change.
	const counts = `SELECT toString(status), toString(change), count(), sumIf(ytd_completed_wan, status != 'unrated'),
       max(cutoff), max(computed_at), argMax(run_id, computed_at)
FROM dispatch_projects
WHERE kind = ? AND period = ? AND run_id = ?
GROUP BY status, change`
	err = streamRows(ctx, conn, what("dispatch_projects"), counts, args, func(rows driver.Rows) error {
		var status, change, runID string
		var n uint64
		var rated decimal.Decimal
		var cutoff, computed time.Time
		if err := rows.Scan(&status, &change, &n, &rated, &cutoff, &computed, &runID); err != nil {
			return err
		}
		o.Projects += int(n)
		o.ByStatus[rating.Status(status)] += int(n)
		o.ByChange[Change(change)] += int(n)
		o.RatedYTDWan = o.RatedYTDWan.Add(rated)
		if computed.After(o.ComputedAt) {
			o.ComputedAt, o.RunID = computed.In(schema.Location()), runID
		}
		o.Cutoff = cutoff.In(schema.Location())
		return nil
	})
	if err != nil {
		return nil, err
	}
	if o.Projects == 0 {
		return nil, notComputed(st, p)
	}
	if o.Totals, err = loadTotals(ctx, conn, what("dispatch_totals"), args); err != nil {
		return nil, err
	}
	if o.Milestones, err = loadMilestones(ctx, conn, what("dispatch_milestones"), args); err != nil {
		return nil, err
	}
	for _, s := range []ReportingStatus{ReportingMissing, ReportingLate} {
		if err := eachReporting(ctx, conn, what, args, s, func(r ReportingRow) error {
			o.Reporting = append(o.Reporting, r)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	const onTime = `SELECT countIf(status = 'on_time'), any(report_period), any(deadline)
FROM dispatch_reporting
WHERE kind = ? AND period = ? AND run_id = ?`
	err = streamRows(ctx, conn, what("dispatch_reporting"), onTime, args, func(rows driver.Rows) error {
		var n uint64
		var due string
		var deadline time.Time
		if err := rows.Scan(&n, &due, &deadline); err != nil {
			return err
		}
		o.OnTime = int(n)
		if due != "" {
			m, err := schema.ParsePeriod(due)
			if err != nil {
				return fmt.Errorf("stored report_period: %w", err)
			}
			o.DueMonth, o.Deadline = m, deadline.In(schema.Location())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.Trend, err = loadTrend(ctx, conn, p, o.Cutoff)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// streamBlockRows is the most rows of a block ClickHouse sends to a
// stream: the driver decodes a block at a time, and 8,192 rows of projects
// (names and reasons in two languages) take a few MiB where the default of
// 65,536 takes about 40.
const streamBlockRows = 8192

// streamRows runs a query and calls fn for each row as it arrives, in
// blocks of at most streamBlockRows rows.
func streamRows(ctx context.Context, conn driver.Conn, what, query string, args []any, fn func(driver.Rows) error) error {
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows}))
	return each(ctx, conn, what, query, args, fn)
}
