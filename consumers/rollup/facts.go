package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// project is a registered project at its latest revision as of the cut-off.
type project struct {
	id, name, region, category, stage, deptID, deptName string
	plans                                               map[int]plan
	milestones                                          []plannedMilestone
}

// plan is a project's plan for one year.
type plan struct {
	annual  decimal.Decimal
	monthly []decimal.Decimal // twelve amounts, or none
}

type plannedMilestone struct {
	id, title string
	planned   time.Time
}

// revision is one revision of a month's investment report.
type revision struct {
	period     schema.Period
	revision   uint32
	month, ytd decimal.Decimal
	receivedAt time.Time
}

// update is one revision of a milestone update.
type update struct {
	milestoneID, title, status string
	revision                   uint32
	planned, forecast, actual  time.Time // zero when NULL
	receivedAt                 time.Time
}

// previous is a project's row in the previous review of the same kind.
type previous struct {
	status rating.Status
	streak int
}

// facts are the stored inputs of one review, everything received before
// its cut-off. Reports and updates keep every revision so that the state as
// of an earlier instant (the previous review's cut-off) can be derived.
type facts struct {
	projects   []project             // by id
	reports    map[string][]revision // by project: by period, then revision
	updates    map[string][]update   // by project: by milestone, then revision
	prev       map[string]previous   // by project; nil when the previous review is not stored
	prevPeriod schema.ReviewPeriod
}

// loadFacts reads the facts of a review with cut-off cutoff: the
// registrations, the reports of the months first to last, the milestone
// updates, and the stored previous review of the same kind.
func loadFacts(ctx context.Context, conn driver.Conn, p schema.ReviewPeriod, cutoff time.Time, first, last schema.Period) (*facts, error) {
	f := &facts{reports: map[string][]revision{}, updates: map[string][]update{}, prevPeriod: p.Prev()}
	at := cutoff.Format(time.DateTime)

	err := each(ctx, conn, "read project registrations received before "+at, query("facts_projects"), []any{cutoff}, func(r driver.Rows) error {
		var pr project
		var rev uint32
		var years []uint16
		var annual []decimal.Decimal
		var monthly [][]decimal.Decimal
		var ids, titles []string
		var planned []time.Time
		if err := r.Scan(&pr.id, &rev, &pr.name, &pr.region, &pr.category, &pr.stage, &pr.deptID, &pr.deptName,
			&years, &annual, &monthly, &ids, &titles, &planned); err != nil {
			return err
		}
		pr.plans = map[int]plan{}
		for i, y := range years {
			pl := plan{}
			if i < len(annual) {
				pl.annual = annual[i]
			}
			if i < len(monthly) {
				pl.monthly = monthly[i]
			}
			pr.plans[int(y)] = pl
		}
		for i, id := range ids {
			m := plannedMilestone{id: id}
			if i < len(titles) {
				m.title = titles[i]
			}
			if i < len(planned) {
				m.planned = planned[i]
			}
			pr.milestones = append(pr.milestones, m)
		}
		f.projects = append(f.projects, pr)
		return nil
	})
	if err != nil {
		return nil, err
	}

	what := fmt.Sprintf("read investment reports %s to %s received before %s", first, last, at)
	err = each(ctx, conn, what, query("facts_reports"), []any{cutoff, first.String(), last.String()}, func(r driver.Rows) error {
		var id, period string
		var rv revision
		if err := r.Scan(&id, &period, &rv.revision, &rv.month, &rv.ytd, &rv.receivedAt); err != nil {
			return err
		}
		per, err := schema.ParsePeriod(period)
		if err != nil {
			return fmt.Errorf("project %s: stored %w", id, err)
		}
		rv.period = per
		f.reports[id] = append(f.reports[id], rv)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = each(ctx, conn, "read milestone updates received before "+at, query("facts_milestones"), []any{cutoff}, func(r driver.Rows) error {
		var id string
		var u update
		var planned, forecast, actual *time.Time
		if err := r.Scan(&id, &u.milestoneID, &u.revision, &u.title, &u.status, &planned, &forecast, &actual, &u.receivedAt); err != nil {
			return err
		}
		u.planned, u.forecast, u.actual = deref(planned), deref(forecast), deref(actual)
		f.updates[id] = append(f.updates[id], u)
		return nil
	})
	if err != nil {
		return nil, err
	}

	prev := map[string]previous{}
	what = fmt.Sprintf("read the previous %s review %s", p.Kind, f.prevPeriod.Key())
	err = each(ctx, conn, what, query("previous_review"), []any{string(p.Kind), f.prevPeriod.Key()}, func(r driver.Rows) error {
		var id, status string
		var streak uint16
		if err := r.Scan(&id, &status, &streak); err != nil {
			return err
		}
		prev[id] = previous{status: rating.Status(status), streak: int(streak)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(prev) > 0 {
		f.prev = prev
	}
	return f, nil
}

// latestReports returns, per month, the latest revision of project id's
// report received before t, and when the month's first revision arrived.
func (f *facts) latestReports(id string, t time.Time) (latest map[schema.Period]revision, first map[schema.Period]time.Time) {
	latest, first = map[schema.Period]revision{}, map[schema.Period]time.Time{}
	for _, rv := range f.reports[id] {
		if !rv.receivedAt.Before(t) {
			continue
		}
		if old, ok := latest[rv.period]; !ok || rv.revision > old.revision {
			latest[rv.period] = rv
		}
		if old, ok := first[rv.period]; !ok || rv.receivedAt.Before(old) {
			first[rv.period] = rv.receivedAt
		}
	}
	return latest, first
}

// milestoneState is what is known of one milestone as of an instant.
type milestoneState struct {
	id, title        string
	planned          time.Time // baseline: the registration's, else the latest update's
	status           string    // "" when never updated
	forecast, actual time.Time
	updated          bool
}

// milestones returns project pr's milestones as of t: the registered ones
// in registration order, then those only reported, by id.
func (f *facts) milestones(pr project, t time.Time) []milestoneState {
	var out []milestoneState
	index := map[string]int{}
	for _, m := range pr.milestones {
		if _, dup := index[m.id]; dup {
			continue
		}
		index[m.id] = len(out)
		out = append(out, milestoneState{id: m.id, title: m.title, planned: m.planned})
	}
	latest := map[string]update{}
	var order []string
	for _, u := range f.updates[pr.id] {
		if !u.receivedAt.Before(t) {
			continue
		}
		old, ok := latest[u.milestoneID]
		if !ok {
			order = append(order, u.milestoneID)
		}
		if !ok || u.revision > old.revision {
			latest[u.milestoneID] = u
		}
	}
	for _, id := range order {
		u := latest[id]
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, milestoneState{id: id, title: u.title, planned: u.planned})
		}
		m := &out[i]
		m.status, m.forecast, m.actual, m.updated = u.status, u.forecast, u.actual, true
		if m.title == "" {
			m.title = u.title
		}
	}
	return out
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
