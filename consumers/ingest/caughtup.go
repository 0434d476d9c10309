package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// ErrBehind is wrapped by [WaitCaughtUp] when ingest has not stored
// everything received before the wait began within its timeout, or when
// its durable consumer does not exist.
var ErrBehind = errors.New("ingest is behind")

// CatchUp configures [WaitCaughtUp]; the zero value waits for the default
// durable consumer up to DefaultCatchUpTimeout.
type CatchUp struct {
	// Durable is ingest's durable consumer on KPP_UPDATES. Default
	// DefaultDurable.
	Durable string
	// Timeout bounds the wait. Default DefaultCatchUpTimeout.
	Timeout time.Duration
	// Poll is how often the consumer is asked. Default 200ms.
	Poll time.Duration
	// LogEvery is how often the wait logs its progress. Default 10s.
	LogEvery time.Duration
	// Logger receives the progress. Default slog.Default().
	Logger *slog.Logger
}

// DefaultCatchUpTimeout is the default CatchUp.Timeout.
const DefaultCatchUpTimeout = 10 * time.Minute

// Lag is where ingest stood against the updates stream.
type Lag struct {
	// Target is the stream's last sequence when the wait began: every
	// message up to it must be processed.
	Target uint64
	// AckFloor is the highest stream sequence up to which ingest has
	// acknowledged (stored or dead-lettered) every message.
	AckFloor uint64
	// Pending are the messages not yet delivered to ingest; AckPending
	// those delivered and not yet acknowledged.
	Pending, AckPending uint64
	// Waited is how long the wait took.
	Waited time.Duration
}

// caughtUp says whether every message up to Target is processed: the ack
// floor reached it, or nothing is left to deliver or acknowledge (the
// stream's last messages may be ones the consumer's filter skips).
func (l Lag) caughtUp() bool {
	return l.AckFloor >= l.Target || (l.Pending == 0 && l.AckPending == 0)
}

// WaitCaughtUp waits until ingest's durable consumer has acknowledged
// every message that the KPP_UPDATES stream held when it was called —
// ingest acknowledges a message once it is stored in ClickHouse or
// dead-lettered — so that a review started then counts every report
// received before its cut-off. It asks the consumer every Poll, logs its
// progress every LogEvery, and gives up after Timeout with an error
// wrapping [ErrBehind] that says how far behind ingest is. A missing
// stream (nothing was ever published) is nothing to wait for; a missing
// consumer (ingest never ran) is ErrBehind.
func WaitCaughtUp(ctx context.Context, js jetstream.JetStream, c CatchUp) (Lag, error) {
	if c.Durable == "" {
		c.Durable = DefaultDurable
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultCatchUpTimeout
	}
	if c.Poll <= 0 {
		c.Poll = 200 * time.Millisecond
	}
	if c.LogEvery <= 0 {
		c.LogEvery = 10 * time.Second
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	started := time.Now()
	var lag Lag
	stream, err := js.Stream(ctx, schema.UpdatesStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return lag, nil
	}
	if err != nil {
		return lag, fmt.Errorf("wait for ingest: read stream %s: %w", schema.UpdatesStream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return lag, fmt.Errorf("wait for ingest: read stream %s: %w", schema.UpdatesStream, err)
	}
	lag.Target = info.State.LastSeq
	if lag.Target == 0 {
		return lag, nil
	}
	deadline := time.NewTimer(c.Timeout)
	defer deadline.Stop()
	poll := time.NewTicker(c.Poll)
	defer poll.Stop()
	lastLog := started
	for {
		cons, err := stream.Consumer(ctx, c.Durable)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			return lag, fmt.Errorf("%w: ingest's durable consumer %s does not exist on %s (ingest has never run against this NATS server), and %d messages are waiting; start ingest (kpp serve) or review without waiting (--review-wait-ingest 0)",
				ErrBehind, c.Durable, schema.UpdatesStream, lag.Target)
		}
		if err != nil {
			return lag, fmt.Errorf("wait for ingest: read consumer %s on %s: %w", c.Durable, schema.UpdatesStream, err)
		}
		ci, err := cons.Info(ctx)
		if err != nil {
			return lag, fmt.Errorf("wait for ingest: read consumer %s on %s: %w", c.Durable, schema.UpdatesStream, err)
		}
		lag.AckFloor, lag.Pending, lag.AckPending = ci.AckFloor.Stream, ci.NumPending, uint64(ci.NumAckPending)
		lag.Waited = time.Since(started)
		if lag.caughtUp() {
			if lag.Waited >= c.LogEvery {
				log.Info("ingest caught up; the review starts", "durable", c.Durable, "target_seq", lag.Target, "waited", lag.Waited.Round(time.Millisecond))
			}
			return lag, nil
		}
		if time.Since(lastLog) >= c.LogEvery || lastLog.Equal(started) {
			log.Info("waiting for ingest to store the updates received before the review", "durable", c.Durable,
				"target_seq", lag.Target, "ack_floor", lag.AckFloor, "left", lag.Target-min(lag.AckFloor, lag.Target),
				"pending", lag.Pending, "ack_pending", lag.AckPending, "waited", lag.Waited.Round(time.Second), "timeout", c.Timeout)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return lag, fmt.Errorf("wait for ingest: %w", ctx.Err())
		case <-deadline.C:
			return lag, fmt.Errorf("%w: after %s ingest (durable consumer %s) has stored the updates up to stream sequence %d of %d (%d not yet delivered, %d being stored); a review now would count reports received before its cut-off as missing. Check ingest and ClickHouse (kpp serve's log), wait longer (--review-wait-ingest), or review without waiting (--review-wait-ingest 0)",
				ErrBehind, c.Timeout, c.Durable, lag.AckFloor, lag.Target, lag.Pending, lag.AckPending)
		case <-poll.C:
		}
	}
}
