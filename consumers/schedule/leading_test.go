package schedule

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// RunLeading runs on the leader only, never beside another run of the same
// kind there, and is recorded as a manual run; another replica says who
// holds the lease.
func TestRunLeadingNeedsTheLease(t *testing.T) {
	dsn := testenv.ClickHouseDSN(t)
	st := openStore(t, dsn)
	natsSrv, _, js := testenv.NATS(t)
	clock := newFakeClock(sh("2025-10-12 08:00"))
	off := Config{Clock: clock, LeaseTTL: time.Second, WeeklySpec: "off", DekadSpec: "off", MonthlySpec: "off"}
	p, _ := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-09")

	entered, release := make(chan struct{}, 1), make(chan struct{})
	var c calls
	job := func(ctx context.Context, r Request) (Result, error) {
		c.add(r)
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		return Result{Rows: 3}, nil
	}
	cfgA := off
	cfgA.Replica, cfgA.Logger = "a", testLogger(t, "a")
	a, err := New(js, st, job, cfgA)
	if err != nil {
		t.Fatal(err)
	}
	start(t, a)
	waitLeader(t, a)

	_, jsB := connect(t, natsSrv.URL())
	cfgB := off
	cfgB.Replica, cfgB.Logger = "b", testLogger(t, "b")
	b, err := New(jsB, openStore(t, dsn), okJob(&c), cfgB)
	if err != nil {
		t.Fatal(err)
	}
	start(t, b)
	testenv.Eventually(t, 20*time.Second, func() bool { return b.Status().LeaseHolder == "a" }, "b never saw a holding the lease")
	_, err = b.RunLeading(context.Background(), p, TriggerManual)
	if !errors.Is(err, ErrNotLeader) || !strings.Contains(err.Error(), "replica b, lease holder: a") {
		t.Fatalf("RunLeading on the replica without the lease: %v, want ErrNotLeader", err)
	}

	done := make(chan error, 1)
	var rec RunRecord
	go func() {
		var err error
		rec, err = a.RunLeading(context.Background(), p, TriggerManual)
		done <- err
	}()
	<-entered
	if _, err := a.RunLeading(context.Background(), p, TriggerManual); !errors.Is(err, ErrOverlap) {
		t.Errorf("a second RunLeading while the first runs: %v, want ErrOverlap", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("RunLeading on the leader: %v", err)
	}
	if rec.Status != StatusOK || rec.Trigger != TriggerManual || rec.Rows != 3 || rec.Replica != "a" {
		t.Errorf("run record %+v, want an ok manual run of a with 3 rows", rec)
	}
	if n := len(c.all()); n != 1 {
		t.Errorf("the job ran %d times, want once: %q", n, c.strings())
	}
}

func testLogger(t *testing.T, name string) *slog.Logger {
	log, _ := newLogger(t, name)
	return log
}
