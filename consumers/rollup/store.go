package rollup

import (
	"context"
	"embed"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// The queries live in sql/, one file each, so that they can be read and
// run on their own (`node .ci/chdb/run.js FILE.sql` on current ClickHouse);
// TestSQLOnCurrentClickHouse runs each with its bound values on 18.16 and
// on current ClickHouse and compares the answers.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

// query returns the text of sql/name.sql without its comment lines.
func query(name string) string {
	data, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("rollup: embedded query %s: %v", name, err))
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// dispatchTables are the tables of a review's rows, partitioned by (kind,
// period, run_id).
var dispatchTables = [...]string{"dispatch_projects", "dispatch_totals", "dispatch_milestones", "dispatch_reporting"}

// batchRows is how many rows of a table a run buffers before it sends
// them: a few MiB of rows.
const batchRows = 5_000

// writer stores a review as it is computed, beside the review's current
// board: it records the run as started in review_runs, then hands the rows
// (each with the run's id, in partitions of their own) in batches of
// batchRows to jobs, which send them in order (see compute): the project
// and reporting rows as blocks of two inserts kept open until finish, the
// milestone alerts and totals as inserts of their own. Readers keep
// reading the previous run until commit records this one as complete;
// then the earlier runs' partitions are dropped (dropEarlier). A run that
// fails drops its own partitions (discard); one that dies leaves them to
// the next run's dropEarlier. Partitions are given with bound parameters,
// which ClickHouse 18.16 and current releases accept in DROP PARTITION.
type writer struct {
	conn               driver.Conn
	kind, period       string
	first, last        time.Time // the period's first and last day
	cutoff, computedAt time.Time
	runID              string
	startedNS          int64 // when the run began writing (review_runs.started_ns)
	jobs               chan<- func(context.Context) error

	projects   []ProjectRow
	milestones []MilestoneAlert
	reporting  []ReportingRow
	// projectsIn and reportingIn are the two big tables' inserts, open for
	// the whole run: each batch is sent as one block (Flush) and ClickHouse
	// squashes the blocks into few parts; the rows are stored when finish
	// sends the inserts. Used by the jobs only.
	projectsIn, reportingIn *stream
	// The rows inserted per table, counted by the jobs.
	projectRows, milestoneRows, reportingRows, totalRows int
}

// newWriter records the run as started and returns a writer for its rows
// that sends its inserts to jobs. The review's stored board is untouched.
func newWriter(ctx context.Context, conn driver.Conn, p schema.ReviewPeriod, cutoff, computedAt time.Time, runID string,
	jobs chan<- func(context.Context) error) (*writer, error) {
	w := &writer{conn: conn, kind: string(p.Kind), period: p.Key(), first: p.Start, last: p.LastDay(),
		cutoff: cutoff, computedAt: computedAt, runID: runID, startedNS: time.Now().UnixNano(), jobs: jobs}
	var used uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM review_runs WHERE kind = ? AND period = ? AND run_id = ?",
		w.kind, w.period, runID).Scan(&used); err != nil {
		return nil, fmt.Errorf("check run id %s in review_runs: %w", runID, err)
	}
	if used > 0 {
		return nil, fmt.Errorf("%w: run %s of %s %s is recorded in review_runs; give each run an id of its own (leave RunOptions.RunID empty for a generated one)",
			ErrRunIDUsed, runID, w.kind, w.period)
	}
	if err := w.mark(ctx, runStarted); err != nil {
		return nil, err
	}
	return w, nil
}

// The states of a run in review_runs.
const (
	runStarted  = "started"
	runComplete = "complete"
)

// mark records the run's state in review_runs: a one-row batch
// (ClickHouse 18.16 hangs on INSERT … VALUES through Exec).
func (w *writer) mark(ctx context.Context, state string) error {
	_, err := insert(ctx, w.conn, "review_runs", "insert_run", 1, func(b driver.Batch, _ int) error {
		return b.Append(w.kind, w.period, w.runID, state, uint64(w.startedNS), time.Now())
	})
	if err != nil {
		return fmt.Errorf("record run %s of %s %s as %s: %w", w.runID, w.kind, w.period, state, err)
	}
	return nil
}

// commit records the run as complete, after every row was stored: from
// then on readers read its rows.
func (w *writer) commit(ctx context.Context) error { return w.mark(ctx, runComplete) }

// discard drops the partitions of a run that failed before commit, so
// that its rows do not linger; readers never saw them. It has a context
// of its own: the run's may have ended.
func (w *writer) discard(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), discardTimeout)
	defer cancel()
	return dropRuns(ctx, w.conn, w.kind, w.period, []string{w.runID})
}

// discardTimeout bounds discard.
const discardTimeout = 30 * time.Second

// dropEarlier drops, after commit, the partitions of the review's other
// runs that started before this one (complete or not) or were never
// recorded: their rows are no longer read. Runs that started later are
// left alone (one may still be writing). It returns the runs dropped.
func (w *writer) dropEarlier(ctx context.Context) ([]string, error) {
	args := []any{w.kind, w.period}
	started := map[string]int64{}
	err := each(ctx, w.conn, fmt.Sprintf("read the runs of %s %s in review_runs", w.kind, w.period), query("review_runs"), args,
		func(rows driver.Rows) error {
			var id string
			var ns uint64
			if err := rows.Scan(&id, &ns); err != nil {
				return err
			}
			started[id] = int64(ns)
			return nil
		})
	if err != nil {
		return nil, err
	}
	stale := map[string]bool{}
	for _, table := range dispatchTables {
		err := each(ctx, w.conn, fmt.Sprintf("read the runs of %s %s in %s", w.kind, w.period, table),
			"SELECT DISTINCT run_id FROM "+table+" WHERE kind = ? AND period = ?", args, func(rows driver.Rows) error {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				if ns, ok := started[id]; id != w.runID && (!ok || ns < w.startedNS) {
					stale[id] = true
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	ids := make([]string, 0, len(stale))
	for id := range stale {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, dropRuns(ctx, w.conn, w.kind, w.period, ids)
}

// dropRuns drops the partitions of the runs of a review from the four
// tables. Dropping a partition that does not exist does nothing.
func dropRuns(ctx context.Context, conn driver.Conn, kind, period string, runIDs []string) error {
	for _, id := range runIDs {
		for _, table := range dispatchTables {
			if err := conn.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION (?, ?, ?)", kind, period, id); err != nil {
				return fmt.Errorf("drop run %s of %s %s from %s: %w", id, kind, period, table, err)
			}
		}
	}
	return nil
}

// add buffers a project's rows, and sends the buffers that are full.
func (w *writer) add(ctx context.Context, r *ProjectRow, alerts []MilestoneAlert, rep *ReportingRow) error {
	w.projects = append(w.projects, *r)
	w.milestones = append(w.milestones, alerts...)
	if rep != nil {
		w.reporting = append(w.reporting, *rep)
	}
	return w.flush(ctx, batchRows)
}

// flush sends every buffer holding at least atLeast rows (and at least one).
func (w *writer) flush(ctx context.Context, atLeast int) error {
	atLeast = max(atLeast, 1)
	if len(w.projects) >= atLeast {
		rows := w.projects
		w.projects = make([]ProjectRow, 0, min(len(rows), batchRows))
		if err := w.send(ctx, func(ctx context.Context) error { return w.insertProjects(ctx, rows) }); err != nil {
			return err
		}
	}
	if len(w.milestones) >= atLeast {
		rows := w.milestones
		w.milestones = nil
		if err := w.send(ctx, func(ctx context.Context) error { return w.insertMilestones(ctx, rows) }); err != nil {
			return err
		}
	}
	if len(w.reporting) >= atLeast {
		rows := w.reporting
		w.reporting = make([]ReportingRow, 0, min(len(rows), batchRows))
		if err := w.send(ctx, func(ctx context.Context) error { return w.insertReporting(ctx, rows) }); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) send(ctx context.Context, job func(context.Context) error) error {
	select {
	case w.jobs <- job:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) insertProjects(ctx context.Context, rows []ProjectRow) error {
	n := len(rows)
	first, last := dateOnly(w.first), dateOnly(w.last)
	var (
		id, name, region, category, deptID, deptName, stage, reportPeriod = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		reported                    = make([]uint8, n)
		revision, maxDays           = make([]uint32, n), make([]uint32, n)
		periodWan, monthWan, ytdWan = make([]decimal.Decimal, n), make([]decimal.Decimal, n), make([]decimal.Decimal, n)
		plan, completion, gap       = make([]*decimal.Decimal, n), make([]*decimal.Decimal, n), make([]*decimal.Decimal, n)
		timeProgress                = make([]decimal.Decimal, n)
		overdue, streak             = make([]uint16, n), make([]uint16, n)
		status, reasonZh, reasonEn  = make([]string, n), make([]string, n), make([]string, n)
		prev, change                = make([]string, n), make([]string, n)
		unit, person, lead          = make([]string, n), make([]string, n), make([]string, n)
		problems, nextSteps         = make([]string, n), make([]string, n)
	)
	for i := range rows {
		r := &rows[i]
		id[i], name[i], region[i], category[i] = r.ProjectID, r.NameZh, r.Region, r.Category
		deptID[i], deptName[i], stage[i], reportPeriod[i] = r.DepartmentID, r.DepartmentName, r.Stage, periodKey(r.ReportPeriod)
		reported[i], revision[i] = boolByte(r.Reported), r.ReportRevision
		periodWan[i], monthWan[i], ytdWan[i] = r.PeriodCompletedWan, r.MonthCompletedWan, r.YTDCompletedWan
		plan[i], completion[i], timeProgress[i], gap[i] = r.AnnualPlanWan, r.CompletionPct, r.TimeProgressPct, r.GapPP
		overdue[i], maxDays[i] = clampU16(r.OverdueMilestones), clampU32(r.MaxOverdueDays)
		status[i], reasonZh[i], reasonEn[i], streak[i] = string(r.Status), r.ReasonZh, r.ReasonEn, clampU16(r.ShortStreak)
		prev[i], change[i] = string(r.PrevStatus), string(r.Change)
		unit[i], person[i], lead[i] = r.ResponsibleUnit, r.ResponsiblePerson, r.LeadOfficial
		problems[i], nextSteps[i] = r.Problems, r.NextSteps
		if prev[i] == "" {
			prev[i] = "none"
		}
	}
	cols := []any{repeat(w.kind, n), repeat(w.period, n), repeat(first, n), repeat(last, n), repeat(w.cutoff, n),
		id, name, region, category, deptID, deptName, stage, reportPeriod, reported, revision, periodWan, monthWan, ytdWan,
		plan, completion, timeProgress, gap, overdue, maxDays, status, reasonZh, reasonEn, streak, prev, change,
		repeat(w.computedAt, n), repeat(w.runID, n), unit, person, lead, problems, nextSteps}
	if w.projectsIn == nil {
		w.projectsIn = &stream{conn: w.conn, table: "dispatch_projects", query: "insert_projects"}
	}
	return w.projectsIn.write(ctx, n, cols)
}

func (w *writer) insertMilestones(ctx context.Context, rows []MilestoneAlert) error {
	n, err := insert(ctx, w.conn, "dispatch_milestones", "insert_milestones", len(rows), func(batch driver.Batch, i int) error {
		m := &rows[i]
		return batch.Append(w.kind, w.period, m.ProjectID, m.NameZh, m.DepartmentID, m.DepartmentName, m.MilestoneID,
			m.Title, string(m.Alert), m.Status, optDate(m.PlannedDate), optDate(m.ForecastDate),
			optDate(m.PrevForecastDate), int32(m.Days), w.computedAt, w.runID)
	})
	w.milestoneRows += n
	return err
}

func (w *writer) insertReporting(ctx context.Context, rows []ReportingRow) error {
	n := len(rows)
	var (
		reportPeriod, id, name, deptID, deptName, status = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		deadline = make([]time.Time, n)
		received = make([]*time.Time, n)
		days     = make([]int32, n)
	)
	for i := range rows {
		r := &rows[i]
		reportPeriod[i], id[i], name[i], deptID[i], deptName[i] = r.ReportPeriod.String(), r.ProjectID, r.NameZh, r.DepartmentID, r.DepartmentName
		status[i], deadline[i], days[i] = string(r.Status), r.Deadline, int32(r.DaysLate)
		if !r.FirstReceivedAt.IsZero() {
			received[i] = &r.FirstReceivedAt
		}
	}
	cols := []any{repeat(w.kind, n), repeat(w.period, n), reportPeriod, id, name, deptID, deptName, status, deadline,
		received, days, repeat(w.computedAt, n), repeat(w.runID, n)}
	if w.reportingIn == nil {
		w.reportingIn = &stream{conn: w.conn, table: "dispatch_reporting", query: "insert_reporting"}
	}
	return w.reportingIn.write(ctx, n, cols)
}

// finish sends what is buffered, ends the inserts of the two big tables,
// and inserts the totals.
func (w *writer) finish(ctx context.Context, totals []TotalRow) error {
	if err := w.flush(ctx, 0); err != nil {
		return err
	}
	return w.send(ctx, func(ctx context.Context) error {
		var err error
		if w.projectRows, err = w.projectsIn.send(); err != nil {
			return err
		}
		if w.reportingRows, err = w.reportingIn.send(); err != nil {
			return err
		}
		n, err := insert(ctx, w.conn, "dispatch_totals", "insert_totals", len(totals), func(batch driver.Batch, i int) error {
			t := &totals[i]
			return batch.Append(w.kind, w.period, string(t.Dimension), t.Key, t.Label, clampU32(t.Projects), clampU32(t.Reported),
				clampU32(t.Missing), clampU32(t.Late), clampU32(t.Green), clampU32(t.Yellow), clampU32(t.Red),
				clampU32(t.Unrated), t.PeriodCompletedWan, t.MonthCompletedWan, t.YTDCompletedWan, t.AnnualPlanWan,
				t.CompletionPct, t.TimeProgressPct, t.GapPP, clampU16(t.Rank), w.computedAt, w.runID)
		})
		w.totalRows += n
		return err
	})
}

// abort cancels the inserts still open, after a failed run.
func (w *writer) abort() {
	w.projectsIn.abort()
	w.reportingIn.abort()
}

// stream is an insert kept open over several blocks.
type stream struct {
	conn         driver.Conn
	table, query string
	batch        driver.Batch
	rows         int
}

// write sends n rows given column by column (each a slice of n values, in
// the order of the query's columns) as one block of the insert, which it
// starts on first use.
func (st *stream) write(ctx context.Context, n int, cols []any) error {
	if n == 0 {
		return nil
	}
	if st.batch == nil {
		b, err := st.conn.PrepareBatch(ctx, query(st.query))
		if err != nil {
			return fmt.Errorf("insert into %s: %w", st.table, err)
		}
		st.batch = b
	}
	for i, c := range cols {
		if err := st.batch.Column(i).Append(c); err != nil {
			return fmt.Errorf("insert %d rows into %s: column %d: %w", n, st.table, i+1, err)
		}
	}
	if err := st.batch.Flush(); err != nil {
		return fmt.Errorf("insert %d rows into %s (%d sent before): %w", n, st.table, st.rows, err)
	}
	st.rows += n
	return nil
}

// send ends the insert: its rows are stored. It returns how many.
func (st *stream) send() (int, error) {
	if st == nil || st.batch == nil {
		return 0, nil
	}
	if err := st.batch.Send(); err != nil {
		return 0, fmt.Errorf("insert %d rows into %s: %w", st.rows, st.table, err)
	}
	st.batch = nil
	return st.rows, nil
}

func (st *stream) abort() {
	if st != nil && st.batch != nil {
		_ = st.batch.Abort()
		st.batch = nil
	}
}

// repeat is a slice of n times v, for a column with the same value in
// every row.
func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// insert appends n rows with fn in one batch and sends it.
func insert(ctx context.Context, conn driver.Conn, table, queryName string, n int, fn func(driver.Batch, int) error) (int, error) {
	if n == 0 {
		return 0, nil
	}
	batch, err := conn.PrepareBatch(ctx, query(queryName))
	if err != nil {
		return 0, fmt.Errorf("insert %d rows into %s: %w", n, table, err)
	}
	for i := 0; i < n; i++ {
		if err := fn(batch, i); err != nil {
			_ = batch.Abort()
			return 0, fmt.Errorf("insert row %d of %d into %s: %w", i+1, n, table, err)
		}
	}
	if err := batch.Send(); err != nil {
		return 0, fmt.Errorf("insert %d rows into %s: %w", n, table, err)
	}
	return n, nil
}

// Load reads the stored board of a review: its project rows, totals,
// milestone alerts and reporting status, and the year's monthly trend as
// of the review's cut-off. It returns an error wrapping [ErrNotComputed],
// with the command that computes it, when the review has no stored rows.
func Load(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod) (*Board, error) {
	conn, args, what, err := openReview(ctx, st, p)
	if err != nil {
		return nil, err
	}
	b := &Board{Period: p}

	err = each(ctx, conn, what("dispatch_projects"), query("load_projects"), args, func(rows driver.Rows) error {
		var runID string
		var cutoff, computed time.Time
		r, err := scanProject(rows, &cutoff, &computed, &runID)
		if err != nil {
			return err
		}
		if computed.After(b.ComputedAt) {
			b.ComputedAt, b.RunID = computed.In(schema.Location()), runID
		}
		b.Cutoff = cutoff.In(schema.Location())
		b.Projects = append(b.Projects, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(b.Projects) == 0 {
		return nil, notComputed(st, p)
	}
	if b.Totals, err = loadTotals(ctx, conn, what("dispatch_totals"), args); err != nil {
		return nil, err
	}
	if b.Milestones, err = loadMilestones(ctx, conn, what("dispatch_milestones"), args); err != nil {
		return nil, err
	}
	err = each(ctx, conn, what("dispatch_reporting"), query("load_reporting"), args, func(rows driver.Rows) error {
		r, err := scanReporting(rows)
		if err != nil {
			return err
		}
		b.Reporting = append(b.Reporting, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.Trend, err = loadTrend(ctx, conn, p, b.Cutoff)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// loadTrend sums 本月完成 per month of the review's year, January to the
// review's month, over the latest revision of every report received before
// cutoff. Months from January to the last month with a report are listed,
// 0 for a month without any.
func loadTrend(ctx context.Context, conn driver.Conn, p schema.ReviewPeriod, cutoff time.Time) ([]MonthAmount, error) {
	last := p.Month()
	first := schema.Period{Year: last.Year, Month: time.January}
	byMonth := map[schema.Period]decimal.Decimal{}
	var latest schema.Period
	what := fmt.Sprintf("read the investment trend %s to %s as of %s", first, last, cutoff.Format(time.DateTime))
	err := each(ctx, conn, what, query("trend"), []any{first.String(), last.String(),
		first.Start().Format(time.DateOnly), last.Start().Format(time.DateOnly), cutoff}, func(rows driver.Rows) error {
		var period string
		var amount decimal.Decimal
		if err := rows.Scan(&period, &amount); err != nil {
			return err
		}
		m, err := schema.ParsePeriod(period)
		if err != nil {
			return fmt.Errorf("stored %w", err)
		}
		byMonth[m] = amount
		latest = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	if latest.Year == 0 {
		return nil, nil
	}
	var out []MonthAmount
	for m := first; !latest.Before(m); m = m.Next() {
		out = append(out, MonthAmount{Month: m, AmountWan: byMonth[m]})
	}
	return out, nil
}

// ListComputed returns every stored review, newest first (by the period's
// start; at the same start, weekly before dekad before monthly).
func ListComputed(ctx context.Context, st *chstore.Store) ([]schema.ReviewPeriod, error) {
	if st == nil {
		return nil, fmt.Errorf("list stored reviews: no store (open one with chstore.Open)")
	}
	var out []schema.ReviewPeriod
	err := each(ctx, st.Conn(), "list stored reviews in dispatch_projects", query("list_computed"), nil, func(rows driver.Rows) error {
		var kind, period string
		var start time.Time
		if err := rows.Scan(&kind, &period, &start); err != nil {
			return err
		}
		k, err := schema.ParseReviewKind(kind)
		if err != nil {
			return fmt.Errorf("stored %w", err)
		}
		p, err := schema.ParseReviewPeriod(k, period)
		if err != nil {
			return fmt.Errorf("stored %w", err)
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func clampU16(n int) uint16 { return uint16(min(max(n, 0), math.MaxUint16)) }
func clampU32(n int) uint32 { return uint32(min(max(n, 0), math.MaxUint32)) }

// dateOnly is t's calendar date as a UTC midnight, the way a Date column
// is written and read, so the stored day does not depend on zones.
func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// optDate is a Nullable(Date) value: nil for the zero time.
func optDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := dateOnly(t)
	return &d
}

// localDate turns a stored date into midnight in Asia/Shanghai (zero for
// NULL).
func localDate(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, schema.Location())
}

// periodKey is the month's key, or "" for the zero month.
func periodKey(p schema.Period) string {
	if p.Year == 0 {
		return ""
	}
	return p.String()
}

// loadTotals reads the stored totals of one review; args are its kind,
// period key and run id.
func loadTotals(ctx context.Context, conn driver.Conn, what string, args []any) ([]TotalRow, error) {
	var out []TotalRow
	err := each(ctx, conn, what, query("load_totals"), args, func(rows driver.Rows) error {
		var t TotalRow
		var dim string
		var n [8]uint32
		var rank uint16
		if err := rows.Scan(&dim, &t.Key, &t.Label, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6], &n[7],
			&t.PeriodCompletedWan, &t.MonthCompletedWan, &t.YTDCompletedWan, &t.AnnualPlanWan, &t.CompletionPct,
			&t.TimeProgressPct, &t.GapPP, &rank); err != nil {
			return err
		}
		t.Dimension, t.Rank = Dimension(dim), int(rank)
		t.Projects, t.Reported, t.Missing, t.Late = int(n[0]), int(n[1]), int(n[2]), int(n[3])
		t.Green, t.Yellow, t.Red, t.Unrated = int(n[4]), int(n[5]), int(n[6]), int(n[7])
		out = append(out, t)
		return nil
	})
	return out, err
}

// loadMilestones reads the stored milestone alerts of one review; args are
// its kind, period key and run id.
func loadMilestones(ctx context.Context, conn driver.Conn, what string, args []any) ([]MilestoneAlert, error) {
	var out []MilestoneAlert
	err := each(ctx, conn, what, query("load_milestones"), args, func(rows driver.Rows) error {
		var m MilestoneAlert
		var alert string
		var planned, forecast, prevForecast *time.Time
		var days int32
		if err := rows.Scan(&m.ProjectID, &m.NameZh, &m.DepartmentID, &m.DepartmentName, &m.MilestoneID, &m.Title,
			&alert, &m.Status, &planned, &forecast, &prevForecast, &days); err != nil {
			return err
		}
		m.Alert, m.Days = Alert(alert), int(days)
		m.PlannedDate, m.ForecastDate, m.PrevForecastDate = localDate(planned), localDate(forecast), localDate(prevForecast)
		out = append(out, m)
		return nil
	})
	return out, err
}

// scanReporting reads a row of dispatch_reporting: report_period,
// project_id, name_zh, department_id, department_name, status, deadline,
// first_received_at, days_late.
func scanReporting(rows driver.Rows) (ReportingRow, error) {
	var r ReportingRow
	var rp, status string
	var first *time.Time
	var days int32
	if err := rows.Scan(&rp, &r.ProjectID, &r.NameZh, &r.DepartmentID, &r.DepartmentName, &status, &r.Deadline,
		&first, &days); err != nil {
		return r, err
	}
	per, err := schema.ParsePeriod(rp)
	if err != nil {
		return r, fmt.Errorf("project %s: stored report_period: %w", r.ProjectID, err)
	}
	r.ReportPeriod, r.Status, r.DaysLate = per, ReportingStatus(status), int(days)
	r.Deadline = r.Deadline.In(schema.Location())
	if first != nil {
		r.FirstReceivedAt = first.In(schema.Location())
	}
	return r, nil
}

// scanProject reads a row of dispatch_projects in the column order of
// sql/load_projects.sql up to next_steps; extra receives the columns after
// it.
func scanProject(rows driver.Rows, extra ...any) (ProjectRow, error) {
	var r ProjectRow
	var reportPeriod, status, prev, change string
	var reported uint8
	var overdue, streak uint16
	var maxDays uint32
	dest := append([]any{&r.ProjectID, &r.NameZh, &r.Region, &r.Category, &r.DepartmentID, &r.DepartmentName,
		&r.Stage, &reportPeriod, &reported, &r.ReportRevision, &r.PeriodCompletedWan, &r.MonthCompletedWan,
		&r.YTDCompletedWan, &r.AnnualPlanWan, &r.CompletionPct, &r.TimeProgressPct, &r.GapPP, &overdue, &maxDays,
		&status, &r.ReasonZh, &r.ReasonEn, &streak, &prev, &change, &r.ResponsibleUnit, &r.ResponsiblePerson,
		&r.LeadOfficial, &r.Problems, &r.NextSteps}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	if reportPeriod != "" {
		rp, err := schema.ParsePeriod(reportPeriod)
		if err != nil {
			return r, fmt.Errorf("project %s: stored report_period: %w", r.ProjectID, err)
		}
		r.ReportPeriod = rp
	}
	r.Reported, r.OverdueMilestones, r.MaxOverdueDays = reported == 1, int(overdue), int(maxDays)
	r.Status, r.ShortStreak, r.Change = rating.Status(status), int(streak), Change(change)
	if prev != "none" {
		r.PrevStatus = rating.Status(prev)
	}
	return r, nil
}

// openReview checks a stored review can be read — a store and a valid
// period — and finds its current run: the complete run that began writing
// last (review_runs). It returns the connection, the query arguments
// (kind, period key, run id) and a describer of what is read from a table,
// for errors. The error wraps [ErrNotComputed], with the command that
// computes the review, when no run of it is complete.
func openReview(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod) (driver.Conn, []any, func(table string) string, error) {
	if st == nil {
		return nil, nil, nil, fmt.Errorf("load %s board %s: no store (open one with chstore.Open)", p.Kind, p.Key())
	}
	if _, err := schema.ParseReviewPeriod(p.Kind, p.Key()); err != nil || p.Start.IsZero() {
		return nil, nil, nil, fmt.Errorf("load board: review period %+v is not valid; expected one from schema.ParseReviewPeriod", p)
	}
	kind, period := string(p.Kind), p.Key()
	var runID string
	if err := st.Conn().QueryRow(ctx, query("current_run"), kind, period).Scan(&runID); err != nil {
		return nil, nil, nil, fmt.Errorf("find the current run of %s %s in review_runs: %w", kind, period, err)
	}
	if runID == "" {
		return nil, nil, nil, notComputed(st, p)
	}
	what := func(table string) string {
		return fmt.Sprintf("read %s for %s %s (run %s)", table, kind, period, runID)
	}
	return st.Conn(), []any{kind, period, runID}, what, nil
}

// notComputed is the error of a review with no stored board.
func notComputed(st *chstore.Store, p schema.ReviewPeriod) error {
	return fmt.Errorf("%w: no %s review %s (%s) in database %s; compute it with `kpp rollup %s --period %s`",
		ErrNotComputed, p.Kind, p.Key(), p.Label(), st.Database(), p.Kind, p.Key())
}
