package ingest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// reportsFor returns n monthly reports spread over projects and years, all
// distinct events.
func reportsFor(dept, projectID string, from, n int) []schema.Event {
	out := make([]schema.Event, n)
	for i := range out {
		k := from + i
		period := fmt.Sprintf("%d-%02d", 2001+k/12, 1+k%12)
		out[i] = report(dept, projectID, period, 1, "10.0001", "10.0001")
	}
	return out
}

// TestClickHouseOutageLosesNothingAndKeepsMessagesAlive stops ClickHouse
// while messages flow, for longer than the ack wait, and restarts it.
func TestClickHouseOutageLosesNothingAndKeepsMessagesAlive(t *testing.T) {
	srv := testenv.ClickHouseServer(t)
	e := newEnvDSN(t, srv.DSN(testenv.NewName("t")))
	cfg := fastConfig(t)
	cfg.AckWait = 2 * time.Second
	cfg.RetryMax = time.Second
	run := e.start(cfg)

	e.publish(project("fgj", "qingyuan-pumped-storage"))
	const n1, n2 = 100, 200
	for _, r := range reportsFor("fgj", "qingyuan-pumped-storage", 0, n1) {
		e.publish(r)
	}
	testenv.Eventually(t, 30*time.Second, func() bool { return run.in.Stats().Total().Accepted == n1+1 },
		"before the outage: %+v", run.in.Stats())

	// Publish the rest while ClickHouse goes down.
	published := make(chan struct{})
	go func() {
		defer close(published)
		for _, r := range reportsFor("fgj", "qingyuan-pumped-storage", n1, n2) {
			e.publish(r)
			time.Sleep(2 * time.Millisecond) // pace the producer so messages flow during the stop
		}
	}()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	<-published
	retries := run.in.Stats().Retries
	// Hold the batch for more than twice the ack wait.
	testenv.Eventually(t, 30*time.Second, func() bool {
		return time.Since(stoppedAt) > 5*time.Second && run.in.Stats().Retries >= retries+3
	}, "the ingester did not retry during the outage: %+v", run.in.Stats())

	info := e.consumerInfo(ingest.DefaultDurable)
	st := run.in.Stats()
	acked := st.Total().Accepted - (n1 + 1)
	// The batch in flight is held unacked; the ingester pulls no more
	// until it is stored.
	if info.NumAckPending == 0 || uint64(info.NumAckPending)+acked+info.NumPending != n2 {
		t.Errorf("during the outage: %d held unacked + %d acked + %d not delivered; want held > 0 and a sum of %d",
			info.NumAckPending, acked, info.NumPending, n2)
	}
	if info.NumRedelivered != 0 {
		t.Errorf("during the outage JetStream redelivered %d messages; in-progress signals must keep the held batch alive", info.NumRedelivered)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return run.in.Stats().Total().Accepted == n1+n2+1 },
		"after the outage: %+v", run.in.Stats())
	if got := e.count("SELECT count() FROM investment_latest"); got != n1+n2 {
		t.Errorf("investment_latest has %d reports, want %d, each once", got, n1+n2)
	}
	if got := e.count("SELECT count() FROM investment_reports FINAL"); got != n1+n2 {
		t.Errorf("investment_reports FINAL has %d rows, want %d", got, n1+n2)
	}
	want := decimal.RequireFromString("10.0001").Mul(decimal.NewFromInt(n1 + n2))
	if got := e.sum("SELECT toString(sum(month_completed_wan)) FROM investment_latest"); !got.Equal(want) {
		t.Errorf("sum = %s, want %s", got, want)
	}
	info = e.consumerInfo(ingest.DefaultDurable)
	if info.NumAckPending != 0 || info.NumRedelivered != 0 {
		t.Errorf("after the outage: %d unacked, %d redelivered; want 0, 0", info.NumAckPending, info.NumRedelivered)
	}
	// The consumer sequence counts every delivery, redeliveries included:
	// one per message means the held batch outlived the ack wait without
	// being redelivered.
	if info.Delivered.Consumer != n1+n2+1 {
		t.Errorf("JetStream made %d deliveries of %d messages; the held batch was redelivered", info.Delivered.Consumer, n1+n2+1)
	}
	if st := run.in.Stats(); st.Total().Duplicate != 0 || st.Total().Rejected != 0 {
		t.Errorf("after the outage: %+v; no message should have come twice or been rejected", st.Total())
	}
}

// TestHeldBatchIsKeptAliveWhileClickHouseIsDown kills ClickHouse as the
// first batch is about to be stored and keeps it down for more than twice
// the ack wait. The batch holds every message, so a second puller on the
// durable consumer could only receive redeliveries: it must receive none.
func TestHeldBatchIsKeptAliveWhileClickHouseIsDown(t *testing.T) {
	srv := testenv.ClickHouseServer(t)
	e := newEnvDSN(t, srv.DSN(testenv.NewName("t")))
	e.publish(project("fgj", "qingyuan-pumped-storage"))
	const n = 120
	for _, r := range reportsFor("fgj", "qingyuan-pumped-storage", 0, n) {
		e.publish(r)
	}
	cfg := fastConfig(t)
	cfg.AckWait = 2 * time.Second
	cfg.RetryMax = time.Second
	var stops atomic.Int32
	run := e.start(cfg, func(in *ingest.Ingester) {
		ingest.SetBeforeStore(in, func(context.Context) {
			if stops.Add(1) == 1 {
				srv.Kill() // as a crash would; Stop waits for 18.16's slow shutdown
			}
		})
	})
	testenv.Eventually(t, 30*time.Second, func() bool { return run.in.Stats().Retries >= 2 }, "no failed store attempt: %+v", run.in.Stats())

	if info := e.consumerInfo(ingest.DefaultDurable); info.NumAckPending != n+1 || info.NumPending != 0 {
		t.Fatalf("held batch: %d unacked, %d undelivered; want %d, 0", info.NumAckPending, info.NumPending, n+1)
	}
	cons, err := e.js.Consumer(context.Background(), schema.UpdatesStream, ingest.DefaultDurable)
	if err != nil {
		t.Fatal(err)
	}
	watch, err := cons.Fetch(n+1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range watch.Messages() {
		md, _ := m.Metadata()
		t.Errorf("stream sequence %d was redelivered (delivery %d) while its batch was held", md.Sequence.Stream, md.NumDelivered)
	}
	if st := run.in.Stats(); st.Total().Accepted != 0 {
		t.Fatalf("stored while ClickHouse was down? %+v", st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, func() bool { return run.in.Stats().Total().Accepted == n+1 },
		"after ClickHouse came back: %+v", run.in.Stats())
	info := e.consumerInfo(ingest.DefaultDurable)
	if info.Delivered.Consumer != n+1 || info.NumAckPending != 0 {
		t.Errorf("JetStream made %d deliveries of %d messages (%d unacked); want one each, all acked", info.Delivered.Consumer, n+1, info.NumAckPending)
	}
	if got := e.count("SELECT count() FROM investment_latest"); got != n {
		t.Errorf("investment_latest has %d reports, want %d", got, n)
	}
}

// TestShutdownDuringFlush cancels Run while a batch is being stored.
func TestShutdownDuringFlush(t *testing.T) {
	t.Run("the batch in flight is stored and acked", func(t *testing.T) {
		e := newEnv(t)
		e.publish(project("fgj", "qingyuan-pumped-storage"))
		for _, r := range reportsFor("fgj", "qingyuan-pumped-storage", 0, 50) {
			e.publish(r)
		}
		flushing, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int32
		run := e.start(fastConfig(t), func(in *ingest.Ingester) {
			ingest.SetBeforeStore(in, func(context.Context) {
				if calls.Add(1) == 1 {
					close(flushing)
					<-release
				}
			})
		})
		<-flushing
		run.cancel()
		close(release)
		if err := run.stop(); err != nil {
			t.Fatalf("Run returned %v, want nil", err)
		}
		if st := run.in.Stats(); st.Total().Accepted != 51 || st.Returned != 0 {
			t.Errorf("stats after shutdown: %+v, want 51 accepted, none returned", st)
		}
		if info := e.consumerInfo(ingest.DefaultDurable); info.NumAckPending != 0 {
			t.Errorf("%d messages unacked after a clean shutdown", info.NumAckPending)
		}

		// A restart takes up after the last ack: nothing comes twice.
		for _, r := range reportsFor("fgj", "qingyuan-pumped-storage", 50, 10) {
			e.publish(r)
		}
		again := e.start(fastConfig(t))
		testenv.Eventually(t, 30*time.Second, func() bool { return again.in.Stats().Total().Accepted == 10 },
			"after restart: %+v", again.in.Stats())
		if st := again.in.Stats().Total(); st.Duplicate != 0 {
			t.Errorf("after restart %d duplicates, want 0", st.Duplicate)
		}
		if n, raw := e.count("SELECT count() FROM investment_latest"), e.count("SELECT count() FROM investment_reports"); n != 60 || raw != 60 {
			t.Errorf("%d reports (%d rows), want 60 (60 rows)", n, raw)
		}
	})

	t.Run("a batch that cannot be stored in the grace period is handed back", func(t *testing.T) {
		e := newEnv(t)
		e.publish(project("fgj", "qingyuan-pumped-storage"))
		for _, r := range reportsFor("fgj", "qingyuan-pumped-storage", 0, 50) {
			e.publish(r)
		}
		cfg := fastConfig(t)
		cfg.ShutdownGrace = 200 * time.Millisecond
		flushing := make(chan struct{})
		var calls atomic.Int32
		run := e.start(cfg, func(in *ingest.Ingester) {
			ingest.SetBeforeStore(in, func(ctx context.Context) {
				if calls.Add(1) == 1 {
					close(flushing)
					<-ctx.Done() // a store slower than the grace period
				}
			})
		})
		<-flushing
		if err := run.stop(); err != nil {
			t.Fatalf("Run returned %v, want nil", err)
		}
		if st := run.in.Stats(); st.Total().Accepted != 0 || st.Returned != 51 {
			t.Errorf("stats after shutdown: %+v, want nothing acked and 51 returned", st)
		}
		if n := e.count("SELECT count() FROM investment_reports"); n != 0 {
			t.Errorf("%d rows stored by an attempt that was cut off", n)
		}

		again := e.start(fastConfig(t))
		testenv.Eventually(t, 30*time.Second, func() bool { return again.in.Stats().Total().Accepted == 51 },
			"after restart: %+v", again.in.Stats())
		if n, raw := e.count("SELECT count() FROM investment_latest"), e.count("SELECT count() FROM investment_reports"); n != 50 || raw != 50 {
			t.Errorf("%d reports (%d rows), want 50 (50 rows)", n, raw)
		}
	})
}
