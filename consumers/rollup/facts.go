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
	// unit, person and lead are 责任单位, 责任人 and 分管领导 of the
	// registration.
	unit, person, lead string

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
	// usedProblems and usedNextSteps are 存在问题 and 下步计划 of that report.
	usedProblems, usedNextSteps string
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
		&pf.unit, &pf.person, &pf.lead, &pf.planIndex, &pf.planAnnual, &pf.planMonthly,
		&pf.yearReports, &pf.usedPeriod, &pf.usedRevision, &pf.usedMonth, &pf.usedYTD,
		&pf.usedProblems, &pf.usedNextSteps, &pf.beforeYTD,
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

// idRange is a slice of the registered projects: ids first to last, both
// included.
type idRange struct{ first, last string }

// projectSlices cuts the ids of the projects registered before cutoff into
// slices, in order: the first of per/5 projects, so that rating starts
// soon, the others of per; none when no project is registered.
func projectSlices(ctx context.Context, conn driver.Conn, cutoff time.Time, per int) ([]idRange, error) {
	var out []idRange
	n, size := 0, max(1, per/5)
	what := "read the ids of the projects registered before " + cutoff.Format(time.DateTime)
	err := each(ctx, conn, what, query("review_ids"), []any{cutoff}, func(r driver.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		if n == 0 || n == size {
			if n > 0 {
				size = per
			}
			n = 0
			out = append(out, idRange{first: id})
		}
		out[len(out)-1].last = id
		n++
		return nil
	})
	return out, err
}

// slice is the three queries of one slice of projects: the projects, their
// planned milestones and their milestone updates, each in project order.
// The projects query starts ahead (openSlice), the others when the slice
// is read (openMilestones).
type slice struct {
	r        idRange
	rv       review
	what     string
	projects driver.Rows
	planned  *cursor[plannedMilestone]
	updates  *cursor[milestoneUpdate]
}

func (s *slice) close() {
	if s.projects != nil {
		_ = s.projects.Close()
	}
	if s.planned != nil {
		s.planned.close()
	}
	if s.updates != nil {
		s.updates.close()
	}
}

// openSlice starts the projects query of slice r of review rv: ClickHouse
// computes it while the rollup reads the slice before.
func openSlice(ctx context.Context, conn driver.Conn, rv review, r idRange) (*slice, error) {
	at := rv.cutoff.Format(time.DateTime)
	january := schema.Period{Year: rv.p.Year(), Month: time.January}.String()
	due, first, last := rv.due.String(), rv.firstMonth().String(), rv.p.Month().String()
	prev := rv.p.Prev()
	s := &slice{r: r, rv: rv, what: fmt.Sprintf("read projects %s to %s: their registrations and investment reports %s to %s received before %s, and the previous %s review %s",
		r.first, r.last, first, last, at, rv.p.Kind, prev.Key())}
	args := []any{rv.p.Year(), rv.cutoff, r.first, r.last, january, january, january, rv.prevCutoff, due, due,
		rv.cutoff, first, last, rv.firstMonth().Start().Format(time.DateOnly), rv.p.Month().Start().Format(time.DateOnly),
		r.first, r.last, string(rv.p.Kind), prev.Key(), r.first, r.last}
	var err error
	if s.projects, err = conn.Query(ctx, query("review_projects"), args...); err != nil {
		return nil, fmt.Errorf("%s: %w", s.what, err)
	}
	return s, nil
}

// openMilestones starts the slice's two milestone queries (small: they
// start when the slice is read, so that a run holds at most four queries
// open at once).
func (s *slice) openMilestones(ctx context.Context, conn driver.Conn) error {
	rv, r := s.rv, s.r
	at := rv.cutoff.Format(time.DateTime)
	ids := fmt.Sprintf("projects %s to %s", r.first, r.last)
	var err error
	if s.planned, err = openCursor(ctx, conn, "read the planned milestones of "+ids+" registered before "+at,
		query("review_planned"), []any{rv.cutoff, r.first, r.last}, (*plannedMilestone).scan,
		func(m *plannedMilestone) string { return m.projectID }); err != nil {
		return err
	}
	s.updates, err = openCursor(ctx, conn, "read the milestone updates of "+ids+" received before "+at,
		query("review_milestones"), []any{rv.prevCutoff, rv.prevCutoff, rv.cutoff, r.first, r.last}, (*milestoneUpdate).scan,
		func(m *milestoneUpdate) string { return m.projectID })
	return err
}

// read streams the slice's projects to fn in chunks of chunk projects.
func (s *slice) read(chunk int, fn func([]reviewed) error) error {
	var pl []plannedMilestone
	var up []milestoneUpdate
	batch := make([]reviewed, 0, chunk)
	for s.projects.Next() {
		batch = append(batch, reviewed{})
		it := &batch[len(batch)-1]
		if err := it.facts.scan(s.projects); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		var err error
		if pl, err = s.planned.take(it.facts.id, pl[:0]); err != nil {
			return err
		}
		if up, err = s.updates.take(it.facts.id, up[:0]); err != nil {
			return err
		}
		it.milestones = milestoneStates(pl, up)
		if len(batch) == chunk {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]reviewed, 0, chunk)
		}
	}
	if err := s.projects.Err(); err != nil {
		return fmt.Errorf("%s: %w", s.what, err)
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

// readProjects streams the facts of review rv to fn in chunks of projects,
// slice after slice, in project order. Within a slice the three queries
// run side by side and are merged on the project id; the next slice's
// projects query starts as soon as a slice is being read, so that
// ClickHouse aggregates one slice while the rollup rates the one before.
// fn owns the chunk it is given.
func readProjects(ctx context.Context, conn driver.Conn, rv review, slices []idRange, chunk int, fn func([]reviewed) error) error {
	if len(slices) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": readBlockRows})))
	defer cancel()
	type opened struct {
		s   *slice
		err error
	}
	start := func(r idRange) <-chan opened {
		ch := make(chan opened, 1)
		go func() {
			s, err := openSlice(ctx, conn, rv, r)
			ch <- opened{s, err}
		}()
		return ch
	}
	next := start(slices[0])
	for i := range slices {
		o := <-next
		if o.err != nil {
			return o.err
		}
		next = nil
		if i+1 < len(slices) {
			next = start(slices[i+1])
		}
		err := o.s.openMilestones(ctx, conn)
		if err == nil {
			err = o.s.read(chunk, fn)
		}
		o.s.close()
		if err != nil {
			if next != nil {
				cancel()
				if o := <-next; o.s != nil {
					o.s.close()
				}
			}
			return err
		}
	}
	return nil
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
