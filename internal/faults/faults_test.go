//go:build faults

package faults

import (
	"context"
	"fmt"
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

// paceFor is the pause between two batches of 1,000 that makes a stream
// of n reports last about d, so that the faults fall within it at any
// scale.
func paceFor(n int, d time.Duration) time.Duration {
	return d / time.Duration(max(1, n/1000))
}

// waitAcknowledged waits until the producer has n reports acknowledged.
func waitAcknowledged(t *testing.T, p *producer, n int, s *stream) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for p.n.Load() < int64(n) {
		if ended, err := s.ended(); err != nil {
			t.Fatal(err)
		} else if ended {
			t.Fatalf("the producer finished with %d reports acknowledged, before %d", p.n.Load(), n)
		}
		time.Sleep(20 * time.Millisecond)
		if time.Now().After(deadline) {
			t.Fatalf("the producer has %d reports acknowledged after 3 minutes, want %d", p.n.Load(), n)
		}
	}
}

// finish waits for the producer, then for ingest to acknowledge the
// stream.
func finish(t *testing.T, e *env, s *stream) {
	t.Helper()
	<-s.done
	if s.err != nil {
		t.Fatal(s.err)
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

	// The stream lasts at least 20 s (100,000 reports in batches of
	// 1,000, 200 ms apart), and both kills fall within it.
	done := p.background(ctx, w.reports, 1000, paceFor(n, 20*time.Second))
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

// waitMidBatch waits until replica p has stored at least batches batches
// in this process and ingest holds messages unacknowledged: killing it
// then kills it in the middle of a batch.
func waitMidBatch(t *testing.T, e *env, p *proc, batches int, s *stream) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		stored := p.count("batch stored") >= batches
		pr, err := e.progress()
		if stored && err == nil && pr.ackPending > 0 {
			return
		}
		if ended, serr := s.ended(); serr != nil {
			t.Fatal(serr)
		} else if ended && err == nil && pr.caughtUp() {
			t.Fatalf("the stream was stored before %s had stored %d batches with more unacknowledged", p.name, batches)
		}
		time.Sleep(5 * time.Millisecond)
		if time.Now().After(deadline) {
			t.Fatalf("%s did not store %d batches with more unacknowledged within 3 minutes", p.name, batches)
		}
	}
}

// TestIngestKilledMidBatch SIGKILLs the only kpp serve twice (once a third,
// then two thirds of a 30,000-report stream are acknowledged by JetStream,
// as soon as it has stored a batch and holds unacknowledged messages) and
// restarts it at once.
// JetStream delivers the batch again after the ack wait (5 s here);
// recovery is from the restart until ingest acknowledged everything
// published before the kill.
func TestIngestKilledMidBatch(t *testing.T) {
	began := time.Now()
	n := scaled(t, 30_000)
	e := newEnv(t, testenv.ClickHouseServer(t))
	serve := e.serve("serve", "--batch-size", "2000")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	w := newWorkload("ingestkill-", n)
	p := e.producer()
	e.register(ctx, p, w)

	done := p.background(ctx, w.reports, 1000, paceFor(n, 20*time.Second))
	var recovery []time.Duration
	for _, share := range []float64{1.0 / 3, 2.0 / 3} {
		waitAcknowledged(t, p, int(share*float64(n)), done)
		waitMidBatch(t, e, serve, 1, done)
		serve.kill()
		at, err := e.progress()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("kpp serve killed with %d reports acknowledged by JetStream; ingest: %s", p.n.Load(), at)
		serve.restart()
		restarted := time.Now()
		serve.waitLine("serving;", time.Minute)
		e.waitFor("ingest to store what the killed process held", 2*time.Minute, func(pr progress) bool { return pr.acked >= at.last })
		recovery = append(recovery, time.Since(restarted))
	}
	finish(t, e, done)
	stats := stopServe(t, serve)
	o := e.verify(ctx, w, p)
	if o.Redelivered == 0 {
		t.Errorf("JetStream redelivered nothing: the killed processes held no unacknowledged message")
	}
	t.Logf("%s; %s; recovery %v", o, stats, recovery)
	record(figure{scenario: "ingest SIGKILL mid-batch", faults: "2 × SIGKILL of kpp serve holding a batch, restarted at once (ack wait 5 s)", outcome: o,
		recovery: recovery, note: "(restart → all published before the kill stored); " + stats, took: time.Since(began)})
}

// TestNATSKilled SIGKILLs the NATS server twice during a 30,000-report
// stream (at a third and two thirds acknowledged) and starts it again on
// the same port and store 2 s later. The producer publishes each batch
// until it is acknowledged; kpp serve reconnects. Recovery is from the
// restart until ingest acknowledged everything published before the kill.
func TestNATSKilled(t *testing.T) {
	began := time.Now()
	n := scaled(t, 30_000)
	e := newEnv(t, testenv.ClickHouseServer(t))
	serve := e.serve("serve", "--batch-size", "2000")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	w := newWorkload("natskill-", n)
	p := e.producer()
	e.register(ctx, p, w)

	done := p.background(ctx, w.reports, 1000, paceFor(n, 20*time.Second))
	var recovery []time.Duration
	for _, share := range []float64{1.0 / 3, 2.0 / 3} {
		waitAcknowledged(t, p, int(share*float64(n)), done)
		e.nats.kill()
		t.Logf("NATS killed with %d reports acknowledged by JetStream", p.n.Load())
		time.Sleep(2 * time.Second)
		e.nats.restart()
		restarted := time.Now()
		e.nats.waitLine("ready", 30*time.Second)
		// Everything acknowledged before the kill is in the stream after it.
		acked := uint64(p.n.Load())
		e.waitFor("ingest to store what was acknowledged before NATS was killed", 2*time.Minute, func(pr progress) bool {
			return pr.acked >= acked+uint64(len(w.projects))
		})
		recovery = append(recovery, time.Since(restarted))
	}
	finish(t, e, done)
	stats := stopServe(t, serve)
	o := e.verify(ctx, w, p)
	t.Logf("%s; %s; producer retries %d; recovery %v", o, stats, p.failures.Load(), recovery)
	record(figure{scenario: "NATS SIGKILL and restart", faults: "2 × SIGKILL of nats-server, restarted after 2 s", outcome: o,
		recovery: recovery, note: fmt.Sprintf("(restart → all acknowledged before the kill stored); producer retries %d; %s", p.failures.Load(), stats), took: time.Since(began)})
}

// TestTwoIngestReplicas runs two kpp serve replicas on one durable
// consumer, publishes 30,000 reports at once (a month-end burst, so that
// both hold batches all along), waits until both have stored batches and
// SIGKILLs one. The other gets the killed one's messages after the ack
// wait (5 s) and stores the rest; JetStream must have redelivered some.
// Recovery is from the kill until everything published before it is
// acknowledged.
func TestTwoIngestReplicas(t *testing.T) {
	began := time.Now()
	n := scaled(t, 30_000)
	e := newEnv(t, testenv.ClickHouseServer(t))
	a := e.serve("serve-a", "--batch-size", "2000")
	b := e.serve("serve-b", "--batch-size", "2000")
	k := killOneOfTwo(t, e, a, b, "replicas-", n)
	record(figure{scenario: "two ingest replicas, one SIGKILLed", faults: k.faults,
		outcome: k.o, recovery: k.recovery, note: "(kill → all published before it stored by serve-b); " + k.stats, took: time.Since(began)})
}

// killed is what killOneOfTwo found.
type killed struct {
	faults   string
	o        outcome
	recovery []time.Duration
	stats    string
}

// killOneOfTwo publishes n reports at once to two kpp serve replicas a and
// b (a month-end burst, so that both hold batches all along), SIGKILLs a
// while it holds unacknowledged messages once both have stored batches,
// waits for b to store what a held, and verifies the outcome: JetStream
// must have redelivered some.
func killOneOfTwo(t *testing.T, e *env, a, b *proc, prefix string, n int) killed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	w := newWorkload(prefix, n)
	p := e.producer()
	e.register(ctx, p, w)

	done := p.background(ctx, w.reports, 1000, 0)
	waitMidBatch(t, e, b, 1, done)
	waitMidBatch(t, e, a, 2, done)
	storedA, storedB := a.count("batch stored"), b.count("batch stored")
	a.kill()
	at := time.Now()
	pr, err := e.progress()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("serve-a killed after %d batches (serve-b %d) with %d reports acknowledged by JetStream; ingest: %s", storedA, storedB, p.n.Load(), pr)
	e.waitFor("serve-b to store what serve-a held", 2*time.Minute, func(q progress) bool { return q.acked >= pr.last })
	recovery := []time.Duration{time.Since(at)}
	finish(t, e, done)
	stats := stopServe(t, b)
	o := e.verify(ctx, w, p)
	if o.Redelivered == 0 {
		t.Errorf("JetStream redelivered nothing: serve-a held no unacknowledged message when it was killed")
	}
	t.Logf("%s; %s; recovery %v", o, stats, recovery)
	return killed{faults: fmt.Sprintf("SIGKILL of serve-a holding a batch after %d batches (serve-b %d)", storedA, storedB), o: o, recovery: recovery, stats: stats}
}
