package schedule

import (
	"context"
	"time"
)

// Clock is the time the schedule follows. The default is the machine's
// clock; a test injects one it advances by hand, so that it can drive a
// week of schedule without waiting for it.
//
// The clock drives when reviews are due and the times recorded in
// rollup_runs. The leader lease is not on it: NATS expires a lease in real
// time, so renewing it always uses real time.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// WaitUntil blocks until the clock reads t or later (returning nil at
	// once when it already does) or until ctx ends (returning ctx's error).
	WaitUntil(ctx context.Context, t time.Time) error
}

// RealClock returns the machine's clock.
func RealClock() Clock { return realClock{} }

type realClock struct{}

// maxSleep bounds one timer of the real clock, so that a wall-clock step
// (NTP, a suspended machine) delays a due review by at most this long.
const maxSleep = time.Minute

func (realClock) Now() time.Time { return time.Now() }

func (realClock) WaitUntil(ctx context.Context, t time.Time) error {
	for {
		d := time.Until(t)
		if d <= 0 {
			return nil
		}
		timer := time.NewTimer(min(d, maxSleep))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}
