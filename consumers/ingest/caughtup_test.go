package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// Issue 9, item 7: a review started while ingest is behind counted
// received reports as missing. Reviews first wait for ingest to store
// everything the updates stream held when they started.
func TestReviewWaitsForIngestToCatchUp(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := time.Now().In(schema.Location())
	due := schema.PeriodOf(now).Prev() // its reporting deadline has passed or not: never "missing" once received
	const projects = 40
	for i := range projects {
		id := fmt.Sprintf("wait-%02d", i)
		e.publish(project("fgj", id))
		e.publish(report("fgj", id, due.String(), 1, "100", "100"))
	}

	// Ingest has never run: its consumer does not exist.
	_, err := ingest.WaitCaughtUp(ctx, e.js, ingest.CatchUp{Timeout: time.Second, Logger: testLogger(t)})
	if !errors.Is(err, ingest.ErrBehind) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("wait without ingest's consumer: %v, want ErrBehind saying it does not exist", err)
	}

	// The consumer exists, nothing is processed: the wait gives up and
	// says how far behind ingest is.
	in, err := ingest.New(e.js, e.st, fastConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.js.CreateOrUpdateConsumer(ctx, schema.UpdatesStream, in.ConsumerConfig()); err != nil {
		t.Fatal(err)
	}
	lag, err := ingest.WaitCaughtUp(ctx, e.js, ingest.CatchUp{Timeout: 300 * time.Millisecond, Logger: testLogger(t)})
	if !errors.Is(err, ingest.ErrBehind) || lag.Target != 2*projects || lag.AckFloor != 0 || lag.Pending != 2*projects ||
		!strings.Contains(err.Error(), fmt.Sprintf("up to stream sequence 0 of %d", 2*projects)) {
		t.Fatalf("wait with ingest stopped: %+v, %v; want ErrBehind at 0 of %d", lag, err, 2*projects)
	}

	// Ingest starts while the review waits: the review starts only once
	// every report is stored, and none is counted missing.
	type result struct {
		lag ingest.Lag
		err error
	}
	done := make(chan result, 1)
	go func() {
		lag, err := ingest.WaitCaughtUp(ctx, e.js, ingest.CatchUp{Timeout: 2 * time.Minute, LogEvery: time.Second, Logger: testLogger(t)})
		done <- result{lag, err}
	}()
	e.start(fastConfig(t))
	r := <-done
	if r.err != nil || r.lag.AckFloor < 2*projects {
		t.Fatalf("wait with ingest running: %+v, %v", r.lag, r.err)
	}
	if n := e.count("SELECT count() FROM investment_reports FINAL WHERE period = ?", due.String()); n != projects {
		t.Fatalf("the wait ended with %d reports of %s stored, want %d", n, due, projects)
	}
	p, err := schema.ParseReviewPeriod(schema.ReviewMonthly, due.String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := rollup.Run(ctx, e.st, p, rating.Rules{}, rollup.RunOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if s.Projects != projects || s.Reported != projects || s.Missing != 0 {
		t.Errorf("review after the wait: %d projects, %d reported, %d missing; want %d, %d, 0", s.Projects, s.Reported, s.Missing, projects, projects)
	}

	// Caught up, a wait returns at once.
	if lag, err := ingest.WaitCaughtUp(ctx, e.js, ingest.CatchUp{Timeout: time.Second}); err != nil || lag.Target != 2*projects {
		t.Errorf("wait when caught up: %+v, %v", lag, err)
	}
}
