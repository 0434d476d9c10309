package schedule

import (
	"fmt"

	"github.com/keyproject/kpp/schema"
)

// MaxBackfill is the most periods one back-fill may cover (ten years of
// weeks).
const MaxBackfill = 530

// Periods returns the periods of the kind from the key from to the key to,
// both included, oldest first: what `kpp rollup KIND --from P1 --to P2`
// back-fills. Keys are 2025-W39 (weekly), 2025-09-D2 (dekad) or 2025-09
// (monthly). The error wraps [ErrBadRange] and names the key that is wrong.
func Periods(k schema.ReviewKind, from, to string) ([]schema.ReviewPeriod, error) {
	if _, err := schema.ParseReviewKind(string(k)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRange, err)
	}
	first, err := schema.ParseReviewPeriod(k, from)
	if err != nil {
		return nil, fmt.Errorf("%w: from: %w", ErrBadRange, err)
	}
	last, err := schema.ParseReviewPeriod(k, to)
	if err != nil {
		return nil, fmt.Errorf("%w: to: %w", ErrBadRange, err)
	}
	if last.Start.Before(first.Start) {
		return nil, fmt.Errorf("%w: %s %s to %s: the end is before the start; expected from ≤ to", ErrBadRange, k, from, to)
	}
	var out []schema.ReviewPeriod
	for p := first; !p.Start.After(last.Start); p = p.Next() {
		if len(out) == MaxBackfill {
			return nil, fmt.Errorf("%w: %s %s to %s is more than %d periods; expected a shorter range (split it)", ErrBadRange, k, from, to, MaxBackfill)
		}
		out = append(out, p)
	}
	return out, nil
}
