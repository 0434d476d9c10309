package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// BurstResult is a month-end burst ingested by `kpp serve` in its own
// process.
type BurstResult struct {
	Reports int
	// Time is from the first publish until ingest acknowledged the last
	// report; Publish is how long publishing alone took.
	Time, Publish time.Duration
	// MedianRSS and MaxRSS are over the samples taken (every 20ms) while
	// the burst was ingested; PeakRSS is the process's peak over its whole
	// life (the kernel's high-water mark, VmHWM), registrations included.
	MedianRSS, MaxRSS, PeakRSS int64
}

// WriteText prints the burst's figures.
func (r *BurstResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "burst — %d reports published at once, ingested by kpp serve (its own process)\n", r.Reports)
	fmt.Fprintf(w, "  first publish → last report stored           %s  (%.0f /s; publishing took %s)\n",
		r.Time.Round(time.Millisecond), float64(r.Reports)/r.Time.Seconds(), r.Publish.Round(time.Millisecond))
	fmt.Fprintf(w, "  kpp serve resident memory during the burst   median %s, max %s (peak over its life %s)\n",
		MiB(r.MedianRSS), MiB(r.MaxRSS), MiB(r.PeakRSS))
}

// runBurst starts `kpp serve` on the bench's NATS server and ClickHouse,
// registers the projects, then publishes cfg.Burst reports (encoded
// before, as the departments' producers would have) in atomic batches of
// 1000 and waits until the durable consumer has acknowledged all.
func runBurst(ctx context.Context, cfg Config) (*BurstResult, error) {
	st, err := freshStore(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	srv, nc, js, err := startNATS(filepath.Join(cfg.Dir, "burst"), false)
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	defer nc.Close()
	icfg := cfg.Ingest.WithDefaults()
	child, err := StartChild(ctx, cfg.Self, "--log-level", "warn", "serve", "--nats-url", srv.URL(), "--clickhouse", cfg.DSN,
		"--http-listen", "", "--batch-size", fmt.Sprint(icfg.BatchSize), "--flush-interval", icfg.FlushInterval.String(),
		"--schedule-weekly", "off", "--schedule-dekad", "off", "--schedule-monthly", "off")
	if err != nil {
		return nil, err
	}
	defer child.Stop() //nolint:errcheck // stopped and checked below on success

	projects, reports := MonthEnd("bench-b-", cfg.Burst)
	pub, err := submit.New(js, submit.Config{Source: "bench", Logger: cfg.Log})
	if err != nil {
		return nil, err
	}
	if _, err := pub.PublishEvents(ctx, projects); err != nil {
		return nil, fmt.Errorf("bench: register projects: %w", err)
	}
	if err := waitAcked(ctx, js, child, 0); err != nil {
		return nil, err
	}
	encoded := make([]encodedReport, len(reports))
	for i, ev := range reports {
		if encoded[i], err = encode(ev); err != nil {
			return nil, err
		}
	}
	reports = nil
	cfg.say("  burst: %d projects registered; publishing %d reports", len(projects), len(encoded))
	start := time.Now()
	if err := publishBatches(ctx, js, encoded); err != nil {
		return nil, err
	}
	res := &BurstResult{Reports: len(encoded), Publish: time.Since(start)}
	if err := waitAcked(ctx, js, child, len(projects)+len(encoded)); err != nil {
		return nil, err
	}
	res.Time = time.Since(start)
	samples := child.RSS(start)
	run, err := child.Stop()
	if err != nil {
		return nil, err
	}
	res.PeakRSS = run.PeakRSS
	if len(samples) > 0 {
		slices.Sort(samples)
		res.MedianRSS, res.MaxRSS = samples[len(samples)/2], samples[len(samples)-1]
	}
	if n, err := countStored(ctx, st, "bench-b-"); err != nil {
		return nil, err
	} else if n != uint64(len(encoded)) {
		return nil, fmt.Errorf("bench: burst: ClickHouse holds %d reports, want %d", n, len(encoded))
	}
	return res, nil
}

// waitAcked waits until the ingest consumer exists and has acknowledged
// every message of the stream, and at least min of them.
func waitAcked(ctx context.Context, js jetstream.JetStream, child *Child, atLeast int) error {
	for {
		select {
		case <-child.Exited():
			_, err := child.Wait()
			return fmt.Errorf("bench: kpp serve exited: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		cons, err := js.Consumer(ctx, schema.UpdatesStream, ingest.DefaultDurable)
		if err != nil {
			continue // not created yet
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("bench: read the ingest consumer: %w", err)
		}
		s, err := js.Stream(ctx, schema.UpdatesStream)
		if err != nil {
			return fmt.Errorf("bench: read the updates stream: %w", err)
		}
		last := s.CachedInfo().State.LastSeq
		if info.AckFloor.Stream >= last && last >= uint64(atLeast) && info.NumAckPending == 0 {
			return nil
		}
	}
}
