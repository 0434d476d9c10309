package schedule

import (
	"context"
	"errors"
	"fmt"

	"github.com/keyproject/kpp/schema"
)

// ErrNotLeader is returned by [Scheduler.RunLeading] when this replica
// does not hold the leader lease: another replica runs the scheduled
// reviews, or none has taken the lease yet.
var ErrNotLeader = errors.New("this replica does not hold the leader lease of the scheduled reviews")

// RunLeading runs the review of p now, like [Scheduler.RunNow], but only
// while this replica holds the leader lease, for a recompute asked for on
// the report pages of kpp serve. The lease keeps every scheduled and
// catch-up run on this replica, and RunNow's check of the runs of the same
// kind in this process then keeps the run from overlapping any of them.
// Losing the lease during the run cancels it (recorded as interrupted).
//
// The error wraps [ErrNotLeader] when this replica does not lead (the
// message names the holder last seen), and otherwise is RunNow's. The
// scheduler must be running ([Scheduler.Run]) to ever lead.
func (s *Scheduler) RunLeading(ctx context.Context, p schema.ReviewPeriod, trigger Trigger) (RunRecord, error) {
	s.mu.Lock()
	lead, holder := s.lead, s.holder
	s.mu.Unlock()
	if lead == nil || lead.ctx.Err() != nil {
		if holder == "" {
			holder = "none yet"
		}
		return RunRecord{}, fmt.Errorf("%w: %s %s not run here; replica %s, lease holder: %s", ErrNotLeader, p.Kind, key(p), s.cfg.Replica, holder)
	}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(lead.ctx, func() { cancel(context.Cause(lead.ctx)) })
	defer stop()
	return s.RunNow(rctx, p, trigger)
}
