//go:build faults

package faults

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
)

// scaled is n times KPP_FAULTS_SCALE (default 1), at least 1000: a
// smaller scale runs the suite faster while working on it.
func scaled(t *testing.T, n int) int {
	s := os.Getenv("KPP_FAULTS_SCALE")
	if s == "" {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		t.Fatalf("KPP_FAULTS_SCALE=%q: expected a positive number such as 0.1", s)
	}
	return max(1000, int(float64(n)*f))
}

// waitAcknowledged waits until the producer has n reports acknowledged.
func waitAcknowledged(t *testing.T, p *producer, n int, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for p.n.Load() < int64(n) {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			t.Fatalf("the producer finished with %d reports acknowledged, before %d", p.n.Load(), n)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the producer has %d reports acknowledged after 3 minutes, want %d", p.n.Load(), n)
		}
	}
}

// finish waits for the producer, then for ingest to acknowledge the
// stream.
func finish(t *testing.T, e *env, done <-chan error) {
	t.Helper()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.waitIngested(3 * time.Minute)
}

var stoppedLine = regexp.MustCompile(`accepted=\d+ duplicates=\d+ rejected=\d+`)

// stopServe stops a kpp serve replica (SIGTERM) and returns its counts as
// it logged them: accepted=… duplicates=… rejected=… (of this process
// only). The test fails if it exits with an error.
func stopServe(t *testing.T, p *proc) string {
	t.Helper()
	if !p.running() {
		t.Fatalf("%s is not running any more (it should have survived the faults); its last lines:\n%s", p.name, p.tail(30))
	}
	if err := p.stop(); err != nil {
		t.Fatalf("%s exited with %v; its last lines:\n%s", p.name, err, p.tail(30))
	}
	return p.name + ": " + stoppedLine.FindString(p.line("msg=stopped"))
}

// TestClickHouseKilledDuringStream streams 100,000 reports through kpp
// serve and SIGKILLs ClickHouse twice while they arrive (at a quarter and
// at 60 % of them acknowledged by JetStream), restarting it 3 s later each
// time. Recovery is from the restart until ingest acknowledges its next
// batch.
func TestClickHouseKilledDuringStream(t *testing.T) {
	began := time.Now()
	n := scaled(t, 100_000)
	e := newEnv(t, testenv.ClickHouseServer(t))
	serve := e.serve("serve")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	w := newWorkload("chkill-", n)
	p := e.producer()
	e.register(ctx, p, w)

	// 1,000 reports every 150 ms or so: the stream lasts about half a
	// minute, and both kills fall within it.
	done := p.background(ctx, w.reports, 1000, 150*time.Millisecond)
	var recovery []time.Duration
	for _, share := range []float64{0.25, 0.6} {
		waitAcknowledged(t, p, int(share*float64(n)), done)
		e.ch.Kill()
		at, err := e.progress()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ClickHouse killed with %d reports acknowledged by JetStream; ingest: %s", p.n.Load(), at)
		time.Sleep(3 * time.Second)
		if err := e.ch.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		restarted := time.Now()
		e.waitFor("ingest to store a batch after ClickHouse restarted", 2*time.Minute, func(pr progress) bool { return pr.acked > at.acked })
		recovery = append(recovery, time.Since(restarted))
	}
	finish(t, e, done)
	stats := stopServe(t, serve)
	o := e.verify(ctx, w, p)
	t.Logf("%s; %s; producer retries %d; recovery %v", o, stats, p.failures.Load(), recovery)
	record(figure{scenario: "ClickHouse SIGKILL during the stream", faults: "2 × SIGKILL, restarted after 3 s", outcome: o,
		recovery: recovery, note: "(restart → next batch stored); " + stats, took: time.Since(began)})
}
