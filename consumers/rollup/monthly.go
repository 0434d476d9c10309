// Package rollup computes the monthly dispatch board (月例会 红黄绿榜) from
// the stored facts and stores it in ClickHouse.
//
// [Monthly] reads every registered project (the projects view), its annual
// plan for the period's year (project_plans), its investment reports of the
// year up to the month at their latest revision (investment_latest) and its
// milestones (project_milestones and milestone_latest); rates each project
// with a [rating.Rules]; totals the board overall and per category,
// department and region; and replaces the month's rows of dispatch_monthly
// and dispatch_monthly_totals. Running it again for the same month gives
// the same rows, never more. [Load] reads a stored board back.
//
// A month without a report (未报送) counts as 0 in the month, and the
// project is rated on the latest year-to-date it reported earlier in the
// year (0 when none). Milestones are judged as of the month's last day, or
// today while the month is still running.
package rollup

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// MonthlySummary says what a monthly run did.
type MonthlySummary struct {
	// Period is the month rolled up.
	Period schema.Period
	// Projects is the number of registered projects on the board.
	Projects int
	// Reported is the number with a report for the month.
	Reported int
	// Green, Yellow, Red and Unrated count the projects by status.
	Green, Yellow, Red, Unrated int
	// ProjectRows and TotalRows are the rows written to dispatch_monthly
	// and dispatch_monthly_totals.
	ProjectRows, TotalRows int
	// ComputedAt is the computed_at stored with the rows.
	ComputedAt time.Time
	// Duration is how long the run took.
	Duration time.Duration
}

// RowsWritten is the number of rows written to both tables.
func (s *MonthlySummary) RowsWritten() int { return s.ProjectRows + s.TotalRows }

// LogValue logs the summary with the project's stable keys.
func (s *MonthlySummary) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("period", s.Period.String()),
		slog.Int("projects", s.Projects),
		slog.Int("reported", s.Reported),
		slog.Int("green", s.Green),
		slog.Int("yellow", s.Yellow),
		slog.Int("red", s.Red),
		slog.Int("unrated", s.Unrated),
		slog.Int("rows", s.RowsWritten()),
		slog.Duration("duration", s.Duration),
	)
}

// Monthly computes the board of period and replaces its stored rows. rules
// is the rating rule (the zero value is the default); now is the time of
// the run: it is stored as computed_at, caps the milestone cut-off while
// the month is running, and rejects a month that has not started (the zero
// time means time.Now()).
//
// It returns an error wrapping [ErrFuturePeriod] for a month after now's,
// [ErrNoProjects] when nothing is registered (and then writes nothing),
// [rating.ErrBadRules] for an invalid rule, or the ClickHouse error with
// what was being read or written.
func Monthly(ctx context.Context, st *chstore.Store, period schema.Period, rules rating.Rules, now time.Time) (*MonthlySummary, error) {
	start := time.Now()
	if now.IsZero() {
		now = start
	}
	if st == nil {
		return nil, fmt.Errorf("monthly rollup %s: no store (open one with chstore.Open)", period)
	}
	if _, err := schema.ParsePeriod(period.String()); err != nil {
		return nil, fmt.Errorf("monthly rollup: %w", err)
	}
	if err := rules.Validate(); err != nil {
		return nil, fmt.Errorf("monthly rollup %s: %w", period, err)
	}
	current := schema.PeriodOf(now)
	if current.Before(period) {
		return nil, fmt.Errorf("monthly rollup: %w: %s is after the current month %s; expected %s or earlier",
			ErrFuturePeriod, period, current, current)
	}
	asOf := period.LastDay()
	if today := dayOf(now); today.Before(asOf) {
		asOf = today
	}

	f, err := loadFacts(ctx, st.Conn(), period)
	if err != nil {
		return nil, fmt.Errorf("monthly rollup %s: %w", period, err)
	}
	if len(f.projects) == 0 {
		return nil, fmt.Errorf("monthly rollup %s: %w in database %s; register projects first", period, ErrNoProjects, st.Database())
	}
	computedAt := now.In(schema.Location()).Truncate(time.Second)
	b, err := compute(f, period, rules, asOf, computedAt)
	if err != nil {
		return nil, fmt.Errorf("monthly rollup: %w", err)
	}
	if err := store(ctx, st.Conn(), b); err != nil {
		return nil, fmt.Errorf("monthly rollup %s: %w", period, err)
	}

	s := &MonthlySummary{Period: period, Projects: len(b.Projects), ProjectRows: len(b.Projects), TotalRows: len(b.Totals), ComputedAt: computedAt}
	for _, r := range b.Projects {
		if r.Reported {
			s.Reported++
		}
		switch r.Status {
		case rating.Green:
			s.Green++
		case rating.Yellow:
			s.Yellow++
		case rating.Red:
			s.Red++
		default:
			s.Unrated++
		}
	}
	s.Duration = time.Since(start)
	return s, nil
}

// dayOf is midnight of t's date in Asia/Shanghai.
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(schema.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, schema.Location())
}
