// Package bench measures the pipeline against real servers, for
// `kpp bench`: raw JetStream publish+consume with and without sync before
// ack, one-at-a-time against atomic batch publishing, and end to end from
// the producer's publish to rows stored in ClickHouse by ingest.
//
// It wires producers and consumers together the way cmd/kpp does; neither
// side imports the other.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/natsserver"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// Config chooses the sizes of the runs.
type Config struct {
	// Events is the number of investment reports of the end-to-end run and
	// of the raw JetStream runs. Default 50,000.
	Events int
	// SingleEvents is the number of messages published one at a time (each
	// waiting for its ack). Default 5,000.
	SingleEvents int
	// DSN is the ClickHouse server to use; its database is dropped first.
	DSN string
	// Dir holds the NATS servers' files. Required.
	Dir string
	// Ingest configures the ingester of the end-to-end run (batch size,
	// flush interval).
	Ingest ingest.Config
	// Progress receives a line as each run ends; nil for none.
	Progress io.Writer
}

// Result holds the measured rates in messages per second.
type Result struct {
	Events int
	// RawSync is JetStream publish (async, acked) + pull consume (acked),
	// running together, with sync before ack.
	RawSync Rate
	// RawNoSync is the same with the default two-minute flush.
	RawNoSync Rate
	// SingleSync is one message at a time, each acked, with sync.
	SingleSync Rate
	// BatchSync is atomic batches of 1000, with sync.
	BatchSync Rate
	// EndToEnd is producer publish (validated, atomic batches) → ingest →
	// rows in ClickHouse.
	EndToEnd Rate
	// IngestBatchSize and IngestFlush are the ingest settings used.
	IngestBatchSize int
	IngestFlush     time.Duration
	ClickHouse      string
}

// Rate is a count over a duration.
type Rate struct {
	N        int
	Duration time.Duration
}

// PerSecond is N / Duration.
func (r Rate) PerSecond() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.N) / r.Duration.Seconds()
}

func (r Rate) String() string {
	return fmt.Sprintf("%8.0f msg/s  (%d in %s)", r.PerSecond(), r.N, r.Duration.Round(time.Millisecond))
}

// WriteText prints the results as a table.
func (r *Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "kpp bench — %d events, ClickHouse %s, ingest batch %d / flush %s\n", r.Events, r.ClickHouse, r.IngestBatchSize, r.IngestFlush)
	fmt.Fprintf(w, "  JetStream publish+consume, sync always   %s\n", r.RawSync)
	fmt.Fprintf(w, "  JetStream publish+consume, default sync  %s\n", r.RawNoSync)
	fmt.Fprintf(w, "  publish one at a time (acked), sync      %s\n", r.SingleSync)
	fmt.Fprintf(w, "  publish atomic batches of 1000, sync     %s\n", r.BatchSync)
	fmt.Fprintf(w, "  end to end: submit → ingest → ClickHouse %s\n", r.EndToEnd)
}

func (c Config) withDefaults() Config {
	if c.Events == 0 {
		c.Events = 50000
	}
	if c.SingleEvents == 0 {
		c.SingleEvents = 5000
	}
	return c
}

// Run performs every measurement.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Dir == "" || cfg.DSN == "" {
		return nil, fmt.Errorf("bench: Dir and DSN are required")
	}
	res := &Result{Events: cfg.Events}
	say := func(name string, r Rate) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "  %-42s %s\n", name, r)
		}
	}
	var err error
	if res.RawSync, err = rawRun(ctx, cfg.Dir+"/raw-sync", false, cfg.Events); err != nil {
		return nil, err
	}
	say("JetStream publish+consume, sync always", res.RawSync)
	if res.RawNoSync, err = rawRun(ctx, cfg.Dir+"/raw-nosync", true, cfg.Events); err != nil {
		return nil, err
	}
	say("JetStream publish+consume, default sync", res.RawNoSync)
	if res.SingleSync, res.BatchSync, err = publishModes(ctx, cfg.Dir+"/publish", cfg.SingleEvents, cfg.Events); err != nil {
		return nil, err
	}
	say("publish one at a time (acked), sync", res.SingleSync)
	say("publish atomic batches of 1000, sync", res.BatchSync)
	if err := endToEnd(ctx, cfg, res); err != nil {
		return nil, err
	}
	say("end to end: submit → ingest → ClickHouse", res.EndToEnd)
	return res, nil
}

func startNATS(dir string, noSync bool) (*natsserver.Server, *nats.Conn, jetstream.JetStream, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, nil, nil, err
	}
	srv, err := natsserver.Start(natsserver.Config{StoreDir: dir, NoSync: noSync})
	if err != nil {
		return nil, nil, nil, err
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		srv.Shutdown()
		return nil, nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, nil, nil, err
	}
	return srv, nc, js, nil
}

// rawRun publishes n messages asynchronously while a pull consumer acks
// them, and measures from the first publish to the last ack.
func rawRun(ctx context.Context, dir string, noSync bool, n int) (Rate, error) {
	srv, nc, js, err := startNATS(dir, noSync)
	if err != nil {
		return Rate{}, err
	}
	defer srv.Shutdown()
	defer nc.Close()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		return Rate{}, fmt.Errorf("bench: raw stream: %w", err)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 20000})
	if err != nil {
		return Rate{}, fmt.Errorf("bench: raw consumer: %w", err)
	}
	body := make([]byte, 420) // about the size of an investment report
	for i := range body {
		body[i] = 'x'
	}
	start := time.Now()
	var wg sync.WaitGroup
	var consumeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		got := 0
		for got < n {
			batch, err := cons.Fetch(min(1000, n-got), jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				consumeErr = err
				return
			}
			k := 0
			for m := range batch.Messages() {
				_ = m.Ack()
				k++
			}
			if k == 0 && batch.Error() != nil {
				consumeErr = batch.Error()
				return
			}
			got += k
		}
	}()
	for i := 0; i < n; i++ {
		_, err := js.PublishAsync("raw."+strconv.Itoa(i%100), body)
		if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			// The window of unacknowledged publishes is full: let it drain.
			<-js.PublishAsyncComplete()
			_, err = js.PublishAsync("raw."+strconv.Itoa(i%100), body)
		}
		if err != nil {
			return Rate{}, fmt.Errorf("bench: raw publish: %w", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return Rate{}, ctx.Err()
	}
	wg.Wait()
	if consumeErr != nil {
		return Rate{}, fmt.Errorf("bench: raw consume: %w", consumeErr)
	}
	return Rate{N: n, Duration: time.Since(start)}, nil
}

// publishModes compares one-at-a-time acked publishing with atomic
// batches, both with sync before ack.
func publishModes(ctx context.Context, dir string, single, batched int) (Rate, Rate, error) {
	srv, nc, js, err := startNATS(dir, false)
	if err != nil {
		return Rate{}, Rate{}, err
	}
	defer srv.Shutdown()
	defer nc.Close()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PUB", Subjects: []string{"pub.>"}, Storage: jetstream.FileStorage, AllowAtomicPublish: true}); err != nil {
		return Rate{}, Rate{}, fmt.Errorf("bench: publish stream: %w", err)
	}
	body := make([]byte, 420)
	start := time.Now()
	for i := 0; i < single; i++ {
		if _, err := js.Publish(ctx, "pub.one", body); err != nil {
			return Rate{}, Rate{}, fmt.Errorf("bench: publish: %w", err)
		}
	}
	one := Rate{N: single, Duration: time.Since(start)}
	start = time.Now()
	for done := 0; done < batched; done += 1000 {
		k := min(1000, batched-done)
		msgs := make([]*nats.Msg, k)
		for i := range msgs {
			msgs[i] = nats.NewMsg("pub.batch")
			msgs[i].Data = body
		}
		if _, err := jetstreamext.PublishMsgBatch(ctx, js, msgs); err != nil {
			return Rate{}, Rate{}, fmt.Errorf("bench: atomic batch: %w", err)
		}
	}
	return one, Rate{N: batched, Duration: time.Since(start)}, nil
}

// endToEnd publishes cfg.Events investment reports through the producer
// while ingest runs, and measures until ClickHouse holds every row.
func endToEnd(ctx context.Context, cfg Config, res *Result) error {
	srv, nc, js, err := startNATS(cfg.Dir+"/e2e", false)
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	defer nc.Close()

	st, err := chstore.Open(ctx, cfg.DSN, nil)
	if err != nil {
		return err
	}
	if err := st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS `"+st.Database()+"`"); err != nil {
		st.Close()
		return fmt.Errorf("bench: drop database: %w", err)
	}
	st.Close()
	if st, err = chstore.Open(ctx, cfg.DSN, nil); err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	res.ClickHouse = st.ServerVersion()

	icfg := cfg.Ingest
	if icfg.Logger == nil {
		icfg.Logger = slog.New(slog.DiscardHandler)
	}
	in, err := ingest.New(js, st, icfg)
	if err != nil {
		return err
	}
	res.IngestBatchSize, res.IngestFlush = in.Config().BatchSize, in.Config().FlushInterval
	projects, reports := Events(cfg.Events)
	pub, err := submit.New(js, submit.Config{Source: "bench", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	// Register the projects first, outside the measurement.
	if _, err := pub.PublishEvents(ctx, projects); err != nil {
		return fmt.Errorf("bench: register projects: %w", err)
	}
	ictx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(ictx) }()
	defer func() { cancel(); <-done }()
	for in.Stats().ByKind[schema.KindProject].Accepted < uint64(len(projects)) {
		select {
		case err := <-done:
			return fmt.Errorf("bench: ingest stopped: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}

	start := time.Now()
	if _, err := pub.PublishEvents(ctx, reports); err != nil {
		return fmt.Errorf("bench: publish reports: %w", err)
	}
	for in.Stats().ByKind[schema.KindInvestment].Accepted < uint64(len(reports)) {
		select {
		case err := <-done:
			return fmt.Errorf("bench: ingest stopped: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	res.EndToEnd = Rate{N: len(reports), Duration: time.Since(start)}
	var stored uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM investment_reports FINAL").Scan(&stored); err != nil {
		return fmt.Errorf("bench: count stored rows: %w", err)
	}
	if stored != uint64(len(reports)) {
		return fmt.Errorf("bench: ClickHouse holds %d reports, want %d", stored, len(reports))
	}
	return nil
}

// Events builds n valid investment reports over enough synthetic projects
// (12 months × revisions each), with the registrations they need.
func Events(n int) (projects, reports []schema.Event) {
	const perProject = 12 * 20
	np := (n + perProject - 1) / perProject
	for p := 0; p < np; p++ {
		id := fmt.Sprintf("bench-%05d", p)
		projects = append(projects, &schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: "bench-dept", Revision: 1, ReportedBy: "bench"},
			ProjectID: id, NameZh: "基准测试项目" + strconv.Itoa(p), Region: "丽水市庆元县",
			Category: schema.CategoryTransport, Stage: schema.StageConstruction,
			AnnualPlans: []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("12000")}},
		})
	}
	for i := 0; i < n; i++ {
		p, rest := i/perProject, i%perProject
		month, rev := rest%12+1, rest/12+1
		r := &schema.InvestmentReport{
			Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "bench-dept", Revision: rev, ReportedBy: "bench"},
			ProjectID: fmt.Sprintf("bench-%05d", p), Period: fmt.Sprintf("2025-%02d", month),
			MonthCompletedWan: schema.MustWan("1000.5"), YTDCompletedWan: schema.MustWan(strconv.Itoa(1000*month) + ".5"),
			PhysicalProgress: "主体工程施工中", Problems: "无", NextSteps: "按计划推进",
		}
		if rev > 1 {
			r.CorrectionReason = "基准测试更正"
		}
		reports = append(reports, r)
	}
	return projects, reports
}
