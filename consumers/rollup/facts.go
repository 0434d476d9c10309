package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// The facts of a review are aggregated in ClickHouse (sql/review_*.sql):
// the rollup reads one row per registered project, with the figures of its
// reports as of the cut-off and as of the previous review's cut-off, and one
// row per updated milestone, both in project order, and rates each project
// as it arrives. Nothing but the current project is held in memory.

// projectFacts is one registered project at its latest revision as of the
// cut-off, with what ClickHouse aggregated from its reports and its row in
// the previous review (a review_projects row).
type projectFacts struct {
	id, name, region, category, stage, deptID, deptName string

	// planIndex is 0 when the project has no plan for the review's year;
	// else planAnnual and planMonthly are that plan (planMonthly empty
	// when not phased).
	planIndex   uint64
	planAnnual  decimal.Decimal
	planMonthly []decimal.Decimal

	// yearReports counts the revisions of the review's year received before
	// the cut-off; when it is 0 there is no report used.
	yearReports uint64
	// The report used: of the latest month of the year, up to the reviewed
	// month, reported by the cut-off, at its highest revision then.
	usedPeriod         string
	usedRevision       uint32
	usedMonth, usedYTD decimal.Decimal
	// beforeYTD is 本年累计 of the report that was used as of the previous
	// review's cut-off (0 when none).
	beforeYTD decimal.Decimal
	// dueReports counts the revisions of the month due received before the
	// cut-off; dueFirst is when the first arrived.
	dueReports uint64
	dueFirst   time.Time

	prevReviewed uint8
	prevStatus   string
	prevStreak   uint16
}

func (pf *projectFacts) scan(r driver.Rows) error {
	return r.Scan(&pf.id, &pf.name, &pf.region, &pf.category, &pf.stage, &pf.deptID, &pf.deptName,
		&pf.planIndex, &pf.planAnnual, &pf.planMonthly,
		&pf.yearReports, &pf.usedPeriod, &pf.usedRevision, &pf.usedMonth, &pf.usedYTD, &pf.beforeYTD,
		&pf.dueReports, &pf.dueFirst, &pf.prevReviewed, &pf.prevStatus, &pf.prevStreak)
}

// plannedMilestone is a milestone of a registration (a review_planned row).
type plannedMilestone struct {
	projectID, id, title string
	planned              time.Time
}

func (m *plannedMilestone) scan(r driver.Rows) error {
	return r.Scan(&m.projectID, &m.id, &m.title, &m.planned)
}

// milestoneUpdate is one milestone's latest update as of the cut-off, and
// its forecast as of the previous review's cut-off (a review_milestones
// row).
type milestoneUpdate struct {
	projectID, id, title, status string
	planned, forecast, actual    time.Time // zero when NULL
	updatedBefore                bool
	forecastBefore               time.Time
}

func (m *milestoneUpdate) scan(r driver.Rows) error {
	var planned, forecast, actual, before *time.Time
	var n uint64
	if err := r.Scan(&m.projectID, &m.id, &m.title, &m.status, &planned, &forecast, &actual, &n, &before); err != nil {
		return err
	}
	m.planned, m.forecast, m.actual = deref(planned), deref(forecast), deref(actual)
	m.updatedBefore, m.forecastBefore = n > 0, deref(before)
	return nil
}

// milestoneState is what is known of one milestone as of the cut-off.
type milestoneState struct {
	id, title        string
	planned          time.Time // baseline: the registration's, else the latest update's
	status           string    // "" when never updated
	forecast, actual time.Time
	// prevForecast is the forecast as of the previous review's cut-off.
	prevForecast time.Time
}

// milestoneStates returns a project's milestones as of the cut-off: the
// registered ones in registration order, then those only reported, by id.
func milestoneStates(planned []plannedMilestone, updates []milestoneUpdate) []milestoneState {
	if len(planned) == 0 && len(updates) == 0 {
		return nil
	}
	out := make([]milestoneState, 0, len(planned)+len(updates))
	index := make(map[string]int, len(planned)+len(updates))
	for _, m := range planned {
		if _, dup := index[m.id]; dup {
			continue
		}
		index[m.id] = len(out)
		out = append(out, milestoneState{id: m.id, title: m.title, planned: m.planned})
	}
	for _, u := range updates {
		i, ok := index[u.id]
		if !ok {
			i = len(out)
			index[u.id] = i
			out = append(out, milestoneState{id: u.id, title: u.title, planned: u.planned})
		}
		m := &out[i]
		m.status, m.forecast, m.actual = u.status, u.forecast, u.actual
		if u.updatedBefore {
			m.prevForecast = u.forecastBefore
		}
		if m.title == "" {
			m.title = u.title
		}
	}
	return out
}

// reviewed is one project as [readProjects] delivers it.
type reviewed struct {
	facts      projectFacts
	milestones []milestoneState
}

// cursor reads a query's rows one ahead, for merging on the project id.
type cursor[T any] struct {
	rows    driver.Rows
	what    string
	scan    func(*T, driver.Rows) error
	project func(*T) string
	cur     T
	ok      bool
}

func openCursor[T any](ctx context.Context, conn driver.Conn, what, q string, args []any,
	scan func(*T, driver.Rows) error, project func(*T) string) (*cursor[T], error) {
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	c := &cursor[T]{rows: rows, what: what, scan: scan, project: project}
	if err := c.next(); err != nil {
		rows.Close()
		return nil, err
	}
	return c, nil
}

func (c *cursor[T]) next() error {
	c.ok = false
	if !c.rows.Next() {
		if err := c.rows.Err(); err != nil {
			return fmt.Errorf("%s: %w", c.what, err)
		}
		return nil
	}
	var v T
	if err := c.scan(&v, c.rows); err != nil {
		return fmt.Errorf("%s: %w", c.what, err)
	}
	c.cur, c.ok = v, true
	return nil
}

// take appends the rows of project id to out, skipping those of projects
// before it (not registered as of the cut-off).
func (c *cursor[T]) take(id string, out []T) ([]T, error) {
	for c.ok && c.project(&c.cur) <= id {
		if c.project(&c.cur) == id {
			out = append(out, c.cur)
		}
		if err := c.next(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (c *cursor[T]) close() { _ = c.rows.Close() }

// readBlockRows is the block size the facts are read in: it bounds what
// the driver holds at once.
const readBlockRows = 8192

// readProjects streams the facts of review rv to fn in chunks of projects,
// in project order. The three queries (projects, planned milestones,
// milestone updates) run side by side and are merged on the project id. fn
// owns the chunk it is given.
func readProjects(ctx context.Context, conn driver.Conn, rv review, chunk int, fn func([]reviewed) error) error {
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": readBlockRows}))
	at := rv.cutoff.Format(time.DateTime)
	january := schema.Period{Year: rv.p.Year(), Month: time.January}.String()
	due, first, last := rv.due.String(), rv.firstMonth().String(), rv.p.Month().String()
	prev := rv.p.Prev()

	planned, err := openCursor(ctx, conn, "read the planned milestones of the projects registered before "+at,
		query("review_planned"), []any{rv.cutoff}, (*plannedMilestone).scan, func(m *plannedMilestone) string { return m.projectID })
	if err != nil {
		return err
	}
	defer planned.close()
	updates, err := openCursor(ctx, conn, "read the milestone updates received before "+at,
		query("review_milestones"), []any{rv.prevCutoff, rv.prevCutoff, rv.cutoff}, (*milestoneUpdate).scan,
		func(m *milestoneUpdate) string { return m.projectID })
	if err != nil {
		return err
	}
	defer updates.close()

	what := fmt.Sprintf("read the projects and their investment reports %s to %s received before %s, and the previous %s review %s",
		first, last, at, rv.p.Kind, prev.Key())
	args := []any{rv.p.Year(), rv.cutoff, january, january, january, rv.prevCutoff, due, due, rv.cutoff, first, last,
		string(rv.p.Kind), prev.Key()}
	var pl []plannedMilestone
	var up []milestoneUpdate
	batch := make([]reviewed, 0, chunk)
	err = each(ctx, conn, what, query("review_projects"), args, func(r driver.Rows) error {
		batch = append(batch, reviewed{})
		it := &batch[len(batch)-1]
		if err := it.facts.scan(r); err != nil {
			return err
		}
		var err error
		if pl, err = planned.take(it.facts.id, pl[:0]); err != nil {
			return err
		}
		if up, err = updates.take(it.facts.id, up[:0]); err != nil {
			return err
		}
		it.milestones = milestoneStates(pl, up)
		if len(batch) == chunk {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]reviewed, 0, chunk)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

// countRegistered counts the registration rows received before cutoff.
func countRegistered(ctx context.Context, conn driver.Conn, cutoff time.Time) (uint64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, query("review_registered"), cutoff).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the project registrations received before %s: %w", cutoff.Format(time.DateTime), err)
	}
	return n, nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// each runs a query and calls fn for every row; errors say what was read.
func each(ctx context.Context, conn driver.Conn, what, query string, args []any, fn func(driver.Rows) error) error {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
