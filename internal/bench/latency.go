package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// latencyPoll is how often the latency run asks ClickHouse for new rows;
// it is the resolution of the measured latencies.
const latencyPoll = 10 * time.Millisecond

// LatencyResult is the time from publishing a report to finding it in
// ClickHouse, at a steady rate.
type LatencyResult struct {
	Rate     int // reports a second
	Duration time.Duration
	N        int
	// P50, P99 and Max are the publish → queryable latencies.
	P50, P99, Max time.Duration
	BatchSize     int
	Flush         time.Duration
}

// WriteText prints the latencies.
func (r *LatencyResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "latency — %d reports/s for %s (%d reports, one publish each), batch %d / flush %s\n",
		r.Rate, r.Duration, r.N, r.BatchSize, r.Flush)
	fmt.Fprintf(w, "  publish → queryable in ClickHouse            p50 %s  p99 %s  max %s  (polled every %s)\n",
		r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond), latencyPoll)
}

// runLatency publishes single reports at cfg.LatencyRate for cfg.Latency
// while ingest runs, and measures for each report the time from its
// publish to the first poll that finds its row in ClickHouse.
func runLatency(ctx context.Context, cfg Config) (*LatencyResult, error) {
	st, err := freshStore(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	srv, nc, js, err := startNATS(filepath.Join(cfg.Dir, "latency"), false)
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	defer nc.Close()
	in, err := ingest.New(js, st, cfg.Ingest)
	if err != nil {
		return nil, err
	}
	n := int(cfg.Latency.Seconds() * float64(cfg.LatencyRate))
	projects, reports := MonthEnd("bench-l-", n)
	pub, err := submit.New(js, submit.Config{Source: "bench", Logger: cfg.Log})
	if err != nil {
		return nil, err
	}
	if _, err := pub.PublishEvents(ctx, projects); err != nil {
		return nil, fmt.Errorf("bench: register projects: %w", err)
	}
	encoded := make([]encodedReport, len(reports))
	for i, ev := range reports {
		if encoded[i], err = encode(ev); err != nil {
			return nil, err
		}
	}
	ictx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(ictx) }()
	defer func() { cancel(); <-done }()
	if err := waitStats(ctx, in, done, func(s ingest.Stats) bool { return s.ByKind[schema.KindProject].Accepted >= uint64(len(projects)) }); err != nil {
		return nil, err
	}

	stream, err := js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		return nil, fmt.Errorf("bench: read the updates stream: %w", err)
	}
	seen := &visibility{at: map[uint64]time.Time{}, floor: stream.CachedInfo().State.LastSeq + 1}
	pctx, stopPoll := context.WithCancel(ctx)
	polled := make(chan error, 1)
	go func() { polled <- seen.poll(pctx, st) }()

	published := make([]time.Time, len(encoded))
	futures := make([]jetstream.PubAckFuture, len(encoded))
	start := time.Now()
	interval := time.Second / time.Duration(cfg.LatencyRate)
	for i, r := range encoded {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		m := nats.NewMsg(r.subject)
		m.Data = r.body
		m.Header.Set(schema.HeaderMsgID, r.id)
		published[i] = time.Now()
		if futures[i], err = js.PublishMsgAsync(m); err != nil {
			stopPoll()
			return nil, fmt.Errorf("bench: publish report %d: %w", i, err)
		}
	}
	seqs := make([]uint64, len(futures))
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			seqs[i] = ack.Sequence
		case err := <-f.Err():
			stopPoll()
			return nil, fmt.Errorf("bench: publish report %d: %w", i, err)
		case <-ctx.Done():
			stopPoll()
			return nil, ctx.Err()
		}
	}
	res := &LatencyResult{Rate: cfg.LatencyRate, Duration: cfg.Latency, N: len(encoded), BatchSize: in.Config().BatchSize, Flush: in.Config().FlushInterval}
	// Wait until every report was found, or a minute passed.
	deadline := time.Now().Add(time.Minute)
	for !seen.all(seqs) {
		if time.Now().After(deadline) {
			stopPoll()
			return nil, fmt.Errorf("bench: %d of %d reports still not in ClickHouse a minute after the last publish", len(seqs)-seen.count(seqs), len(seqs))
		}
		time.Sleep(latencyPoll)
	}
	stopPoll()
	if err := <-polled; err != nil {
		return nil, err
	}
	lat := make([]time.Duration, len(seqs))
	for i, s := range seqs {
		lat[i] = seen.at[s].Sub(published[i])
	}
	slices.Sort(lat)
	res.P50, res.P99, res.Max = lat[len(lat)/2], lat[min(len(lat)*99/100, len(lat)-1)], lat[len(lat)-1]
	return res, nil
}

// visibility records when each stream sequence was first found stored.
// One insert is atomic per partition, not across them: a batch spanning
// months may show some months before others. So each poll asks for every
// row from floor on, the lowest sequence not found yet.
type visibility struct {
	mu    sync.Mutex
	at    map[uint64]time.Time
	floor uint64
}

func (v *visibility) poll(ctx context.Context, st *chstore.Store) error {
	t := time.NewTicker(latencyPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		v.mu.Lock()
		floor := v.floor
		v.mu.Unlock()
		rows, err := st.Conn().Query(ctx, "SELECT stream_seq FROM investment_reports WHERE stream_seq >= ?", floor)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("bench: poll for stored reports: %w", err)
		}
		now := time.Now()
		v.mu.Lock()
		for rows.Next() {
			var s uint64
			if err := rows.Scan(&s); err != nil {
				v.mu.Unlock()
				rows.Close()
				return fmt.Errorf("bench: poll for stored reports: %w", err)
			}
			if _, ok := v.at[s]; !ok {
				v.at[s] = now
			}
		}
		for _, ok := v.at[v.floor]; ok; _, ok = v.at[v.floor] {
			v.floor++
		}
		v.mu.Unlock()
		rows.Close()
	}
}

func (v *visibility) count(seqs []uint64) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for _, s := range seqs {
		if _, ok := v.at[s]; ok {
			n++
		}
	}
	return n
}

func (v *visibility) all(seqs []uint64) bool { return v.count(seqs) == len(seqs) }
