package rollup

import (
	"context"
	"fmt"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/schema"
)

// Arrived counts the investment reports received after a stored review was
// computed that a run again would take: late first reports (迟报) and
// corrections (更正).
type Arrived struct {
	Late, Corrections int
}

// Total is Late + Corrections.
func (a Arrived) Total() int { return a.Late + a.Corrections }

// ArrivedAfter counts the reports of a monthly review's months (January of
// its year to the reviewed month) received at or after cutoff, the stored
// review's cut-off. A weekly or ten-day review reads as of its period's end
// whenever it runs, so a run again gives the same board: for those it
// returns zero without a query.
func ArrivedAfter(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod, cutoff time.Time) (Arrived, error) {
	if p.Kind != schema.ReviewMonthly || cutoff.IsZero() {
		return Arrived{}, nil
	}
	if st == nil {
		return Arrived{}, fmt.Errorf("count the reports received after the %s review %s: no store", p.Kind, p.Key())
	}
	last := p.Month()
	first := schema.Period{Year: last.Year, Month: time.January}
	var late, corrections uint64
	err := st.Conn().QueryRow(ctx, query("arrived_after"), cutoff, first.String(), last.String(),
		first.Start().Format(time.DateOnly), last.Start().Format(time.DateOnly)).Scan(&late, &corrections)
	if err != nil {
		return Arrived{}, fmt.Errorf("count the reports received after the %s review %s: %w", p.Kind, p.Key(), err)
	}
	return Arrived{Late: int(late), Corrections: int(corrections)}, nil
}

// EmptyRun reports whether the review's latest successful run wrote no rows
// (nothing was registered before its cut-off, see [ErrNoProjects]), and
// when it ended.
func EmptyRun(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod) (time.Time, bool, error) {
	if st == nil {
		return time.Time{}, false, fmt.Errorf("read the runs of the %s review %s: no store", p.Kind, p.Key())
	}
	rows, err := st.Conn().Query(ctx, query("empty_run"), string(p.Kind), p.Key())
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the runs of the %s review %s: %w", p.Kind, p.Key(), err)
	}
	defer rows.Close()
	if !rows.Next() {
		return time.Time{}, false, rows.Err()
	}
	var at time.Time
	if err := rows.Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("read the runs of the %s review %s: %w", p.Kind, p.Key(), err)
	}
	return at.In(schema.Location()), true, nil
}
