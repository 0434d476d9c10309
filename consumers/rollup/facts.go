package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// The reads of the stored facts. Each reads a view that picks the latest
// revision (projects, project_plans, project_milestones, investment_latest,
// milestone_latest), so the results do not depend on merges.
const (
	queryProjects = `SELECT project_id, name_zh, region, category, stage, department_id, department_name
FROM projects
ORDER BY project_id`

	queryPlans = `SELECT project_id, annual_plan_wan
FROM project_plans
WHERE year = ?`

	queryReports = `SELECT project_id, period, revision, month_completed_wan, ytd_completed_wan
FROM investment_latest
WHERE period >= ? AND period <= ?
ORDER BY project_id, period`

	queryPlannedMilestones = `SELECT project_id, milestone_id, title, planned_date
FROM project_milestones`

	queryMilestoneStates = `SELECT project_id, milestone_id, title, status, planned_date, actual_date
FROM milestone_latest`
)

// project is a registered project at its latest revision.
type project struct {
	id, name, region, category, stage, deptID, deptName string
}

// report is a month's report at its latest revision.
type report struct {
	period   schema.Period
	revision uint32
	month    decimal.Decimal
	ytd      decimal.Decimal
}

// milestone is what is known of one milestone: its planned date (from the
// registration, else from its latest update) and its latest status.
type milestone struct {
	id, title string
	planned   time.Time // zero when unknown
	status    string    // "" when never updated
	actual    time.Time // zero when none
}

// facts are the stored inputs of one month's rollup.
type facts struct {
	projects   []project
	plans      map[string]decimal.Decimal
	reports    map[string][]report // by period, January to the month
	milestones map[string][]milestone
}

func loadFacts(ctx context.Context, conn driver.Conn, p schema.Period) (*facts, error) {
	f := &facts{plans: map[string]decimal.Decimal{}, reports: map[string][]report{}, milestones: map[string][]milestone{}}

	err := each(ctx, conn, "read projects", queryProjects, nil, func(r driver.Rows) error {
		var pr project
		if err := r.Scan(&pr.id, &pr.name, &pr.region, &pr.category, &pr.stage, &pr.deptID, &pr.deptName); err != nil {
			return err
		}
		f.projects = append(f.projects, pr)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = each(ctx, conn, "read annual plans of "+fmt.Sprint(p.Year), queryPlans, []any{uint16(p.Year)}, func(r driver.Rows) error {
		var id string
		var amount decimal.Decimal
		if err := r.Scan(&id, &amount); err != nil {
			return err
		}
		f.plans[id] = amount
		return nil
	})
	if err != nil {
		return nil, err
	}

	first := schema.Period{Year: p.Year, Month: time.January}
	err = each(ctx, conn, "read investment reports "+first.String()+" to "+p.String(), queryReports, []any{first.String(), p.String()}, func(r driver.Rows) error {
		var id, period string
		var rp report
		if err := r.Scan(&id, &period, &rp.revision, &rp.month, &rp.ytd); err != nil {
			return err
		}
		per, err := schema.ParsePeriod(period)
		if err != nil {
			return fmt.Errorf("project %s: stored %w", id, err)
		}
		rp.period = per
		f.reports[id] = append(f.reports[id], rp)
		return nil
	})
	if err != nil {
		return nil, err
	}

	index := map[[2]string]int{} // (project, milestone) → position in f.milestones[project]
	err = each(ctx, conn, "read planned milestones", queryPlannedMilestones, nil, func(r driver.Rows) error {
		var id string
		var m milestone
		if err := r.Scan(&id, &m.id, &m.title, &m.planned); err != nil {
			return err
		}
		index[[2]string{id, m.id}] = len(f.milestones[id])
		f.milestones[id] = append(f.milestones[id], m)
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = each(ctx, conn, "read milestone updates", queryMilestoneStates, nil, func(r driver.Rows) error {
		var id, mid, title, status string
		var planned, actual *time.Time
		if err := r.Scan(&id, &mid, &title, &status, &planned, &actual); err != nil {
			return err
		}
		i, ok := index[[2]string{id, mid}]
		if !ok {
			// A milestone reported but not in the registration: its own
			// planned date is the baseline.
			i = len(f.milestones[id])
			index[[2]string{id, mid}] = i
			m := milestone{id: mid, title: title}
			if planned != nil {
				m.planned = *planned
			}
			f.milestones[id] = append(f.milestones[id], m)
		}
		m := &f.milestones[id][i]
		m.status = status
		if actual != nil {
			m.actual = *actual
		}
		if m.title == "" {
			m.title = title
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
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
