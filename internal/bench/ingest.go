package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
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

// IngestResult compares, in one run, kpp's end-to-end rate with what the
// servers allow.
type IngestResult struct {
	// Ceiling is publishing the reports in atomic batches of 1000 with no
	// consumer: nothing downstream can go faster.
	Ceiling Rate
	// Plain is a batched consumer with no checks: fetch up to a batch,
	// decode, one INSERT, ack each message; the publisher runs at the same
	// time.
	Plain Rate
	// KPP is kpp end to end: submit validates and publishes in atomic
	// batches while ingest checks, dedupes, stores and acks.
	KPP Rate
	// BatchSize and Flush are the ingest settings used by both consumers.
	BatchSize int
	Flush     time.Duration
}

// WriteText prints the comparison.
func (r *IngestResult) WriteText(w io.Writer, clickhouse string) {
	fmt.Fprintf(w, "ingest — %d reports, ClickHouse %s, batch %d / flush %s, sync before ack\n", r.KPP.N, clickhouse, r.BatchSize, r.Flush)
	fmt.Fprintf(w, "  JetStream atomic-batch publish (ceiling)     %s\n", r.Ceiling)
	fmt.Fprintf(w, "  plain consumer: fetch → INSERT → ack         %s\n", r.Plain)
	fmt.Fprintf(w, "  kpp: submit → ingest → ClickHouse            %s\n", r.KPP)
	fmt.Fprintf(w, "  kpp ÷ plain consumer                         %8.2f\n", ratio(r.KPP, r.Plain))
	fmt.Fprintf(w, "  kpp ÷ ceiling                                %8.2f\n", ratio(r.KPP, r.Ceiling))
}

func runIngest(ctx context.Context, cfg Config, res *Result) (*IngestResult, error) {
	out := &IngestResult{}
	bodies, err := encodeReports(cfg.Events)
	if err != nil {
		return nil, err
	}
	if out.Ceiling, err = ceiling(ctx, filepath.Join(cfg.Dir, "ceiling"), bodies); err != nil {
		return nil, err
	}
	cfg.say("  %-44s %s", "JetStream atomic-batch publish (ceiling)", out.Ceiling)

	st, err := freshStore(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	res.ClickHouse = st.ServerVersion()
	icfg := cfg.Ingest.WithDefaults()
	out.BatchSize, out.Flush = icfg.BatchSize, icfg.FlushInterval
	if out.Plain, err = plainConsumer(ctx, filepath.Join(cfg.Dir, "plain"), st, bodies, out.BatchSize, out.Flush); err != nil {
		return nil, err
	}
	cfg.say("  %-44s %s", "plain consumer: fetch → INSERT → ack", out.Plain)

	if out.KPP, err = kppRun(ctx, cfg, st, filepath.Join(cfg.Dir, "kpp"), "bench-e-", cfg.Events); err != nil {
		return nil, err
	}
	cfg.say("  %-44s %s", "kpp: submit → ingest → ClickHouse", out.KPP)
	return out, nil
}

// encodedReport is a report as the producer publishes it.
type encodedReport struct {
	subject, id string
	body        []byte
}

func encode(ev schema.Event) (encodedReport, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return encodedReport{}, fmt.Errorf("bench: encode report: %w", err)
	}
	return encodedReport{subject: schema.Subject(ev), id: schema.EventID(ev), body: b}, nil
}

func encodeReports(n int) ([]encodedReport, error) {
	_, reports := Events("bench-p-", n)
	out := make([]encodedReport, len(reports))
	for i, ev := range reports {
		var err error
		if out[i], err = encode(ev); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// publishBatches publishes the reports in atomic batches of 1000 and
// returns when JetStream acknowledged the last one.
func publishBatches(ctx context.Context, js jetstream.JetStream, reports []encodedReport) error {
	for start := 0; start < len(reports); start += 1000 {
		chunk := reports[start:min(start+1000, len(reports))]
		msgs := make([]*nats.Msg, len(chunk))
		for i, r := range chunk {
			msgs[i] = nats.NewMsg(r.subject)
			msgs[i].Data = r.body
			msgs[i].Header.Set(schema.HeaderMsgID, r.id)
		}
		if _, err := jetstreamext.PublishMsgBatch(ctx, js, msgs); err != nil {
			return fmt.Errorf("bench: publish an atomic batch: %w", err)
		}
	}
	return nil
}

// startNATSWithStreams starts a NATS server (sync before ack) with kpp's
// streams.
func startNATSWithStreams(ctx context.Context, dir string) (*natsserver.Server, *nats.Conn, jetstream.JetStream, error) {
	srv, nc, js, err := startNATS(dir, false)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, nil, nil, fmt.Errorf("bench: %w", err)
	}
	return srv, nc, js, nil
}

// ceiling publishes every report in atomic batches into KPP_UPDATES, with
// no consumer.
func ceiling(ctx context.Context, dir string, reports []encodedReport) (Rate, error) {
	srv, nc, js, err := startNATSWithStreams(ctx, dir)
	if err != nil {
		return Rate{}, err
	}
	defer srv.Shutdown()
	defer nc.Close()
	start := time.Now()
	if err := publishBatches(ctx, js, reports); err != nil {
		return Rate{}, err
	}
	return Rate{N: len(reports), Duration: time.Since(start)}, nil
}

// plainConsumer publishes the reports while a consumer with no checks
// stores them: fetch up to batch messages (waiting at most flush), decode
// each, one INSERT into investment_reports, ack each. It measures from the
// first publish to the last ack.
func plainConsumer(ctx context.Context, dir string, st *chstore.Store, reports []encodedReport, batch int, flush time.Duration) (Rate, error) {
	srv, nc, js, err := startNATSWithStreams(ctx, dir)
	if err != nil {
		return Rate{}, err
	}
	defer srv.Shutdown()
	defer nc.Close()
	cons, err := js.CreateOrUpdateConsumer(ctx, schema.UpdatesStream, jetstream.ConsumerConfig{
		Durable: "plain", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4 * batch, AckWait: time.Minute,
	})
	if err != nil {
		return Rate{}, fmt.Errorf("bench: plain consumer: %w", err)
	}
	const insert = `INSERT INTO investment_reports (event_id, project_id, department_id, period, period_start, revision,
 month_completed_wan, ytd_completed_wan, physical_progress, problems, next_steps, correction_reason, reported_by, source,
 received_at, stream_seq, keep_rank, ingested_at)`
	start := time.Now()
	var wg sync.WaitGroup
	var consumeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		got := 0
		for got < len(reports) && consumeErr == nil {
			res, err := cons.Fetch(min(batch, len(reports)-got), jetstream.FetchMaxWait(flush))
			if err != nil {
				consumeErr = err
				return
			}
			var msgs []jetstream.Msg
			b, err := st.Conn().PrepareBatch(ctx, insert)
			if err != nil {
				consumeErr = err
				return
			}
			now := time.Now()
			for m := range res.Messages() {
				var r schema.InvestmentReport
				if err := json.Unmarshal(m.Data(), &r); err != nil {
					consumeErr = err
					return
				}
				md, err := m.Metadata()
				if err != nil {
					consumeErr = err
					return
				}
				p, err := schema.ParsePeriod(r.Period)
				if err != nil {
					consumeErr = err
					return
				}
				seq := md.Sequence.Stream
				if err := b.Append(m.Headers().Get(schema.HeaderMsgID), r.ProjectID, r.DepartmentID, r.Period, p.Start(), uint32(r.Revision),
					r.MonthCompletedWan.Value, r.YTDCompletedWan.Value, r.PhysicalProgress, r.Problems, r.NextSteps, r.CorrectionReason,
					r.ReportedBy, "bench", md.Timestamp, seq, ^uint64(0)-seq, now); err != nil {
					consumeErr = err
					return
				}
				msgs = append(msgs, m)
			}
			if len(msgs) > 0 {
				if err := b.Send(); err != nil {
					consumeErr = err
					return
				}
			} else {
				_ = b.Abort()
			}
			for _, m := range msgs {
				_ = m.Ack()
			}
			got += len(msgs)
		}
	}()
	if err := publishBatches(ctx, js, reports); err != nil {
		return Rate{}, err
	}
	wg.Wait()
	if consumeErr != nil {
		return Rate{}, fmt.Errorf("bench: plain consumer: %w", consumeErr)
	}
	elapsed := time.Since(start)
	if err := nc.Flush(); err != nil {
		return Rate{}, fmt.Errorf("bench: plain consumer: flush acks: %w", err)
	}
	if n, err := countStored(ctx, st, "bench-p-"); err != nil {
		return Rate{}, err
	} else if n != uint64(len(reports)) {
		return Rate{}, fmt.Errorf("bench: plain consumer: ClickHouse holds %d reports, want %d", n, len(reports))
	}
	return Rate{N: len(reports), Duration: elapsed}, nil
}

// kppRun registers n/24 projects (outside the measurement), then publishes
// n reports through the producer while an ingester stores them, and
// measures from the first publish until ingest has acknowledged every
// report; it checks ClickHouse holds each once.
func kppRun(ctx context.Context, cfg Config, st *chstore.Store, dir, prefix string, n int) (Rate, error) {
	srv, nc, js, err := startNATS(dir, false)
	if err != nil {
		return Rate{}, err
	}
	defer srv.Shutdown()
	defer nc.Close()
	return kppRunOn(ctx, cfg, cfg.Ingest, st, js, prefix, n)
}

// kppRunOn is kppRun on the NATS server or cluster of js, with the
// ingester configured by icfg (its Streams also create the streams).
func kppRunOn(ctx context.Context, cfg Config, icfg ingest.Config, st *chstore.Store, js jetstream.JetStream, prefix string, n int) (Rate, error) {
	in, err := ingest.New(js, st, icfg)
	if err != nil {
		return Rate{}, err
	}
	projects, reports := Events(prefix, n)
	pub, err := submit.New(js, submit.Config{Source: "bench", Logger: cfg.Log, Streams: icfg.Streams})
	if err != nil {
		return Rate{}, err
	}
	if _, err := pub.PublishEvents(ctx, projects); err != nil {
		return Rate{}, fmt.Errorf("bench: register projects: %w", err)
	}
	ictx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(ictx) }()
	defer func() { cancel(); <-done }()
	if err := waitStats(ctx, in, done, func(s ingest.Stats) bool { return s.ByKind[schema.KindProject].Accepted >= uint64(len(projects)) }); err != nil {
		return Rate{}, err
	}
	start := time.Now()
	if _, err := pub.PublishEvents(ctx, reports); err != nil {
		return Rate{}, fmt.Errorf("bench: publish reports: %w", err)
	}
	if err := waitStats(ctx, in, done, func(s ingest.Stats) bool { return s.ByKind[schema.KindInvestment].Accepted >= uint64(len(reports)) }); err != nil {
		return Rate{}, err
	}
	rate := Rate{N: len(reports), Duration: time.Since(start)}
	if got, err := countStored(ctx, st, prefix); err != nil {
		return Rate{}, err
	} else if got != uint64(len(reports)) {
		return Rate{}, fmt.Errorf("bench: ClickHouse holds %d reports of %s…, want %d", got, prefix, len(reports))
	}
	return rate, nil
}

// waitStats polls the ingester until ok holds.
func waitStats(ctx context.Context, in *ingest.Ingester, done <-chan error, ok func(ingest.Stats) bool) error {
	for !ok(in.Stats()) {
		select {
		case err := <-done:
			return fmt.Errorf("bench: ingest stopped: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// HistoryResult is kpp's rate into the empty database against its rate
// after History earlier reports were stored, in the same run.
type HistoryResult struct {
	History     int
	FillTime    time.Duration
	Empty, Full Rate
}

// WriteText prints the comparison.
func (r *HistoryResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "history — kpp with %d earlier reports stored (filled and merged in %s)\n", r.History, r.FillTime.Round(time.Second))
	fmt.Fprintf(w, "  kpp into the empty database                  %s\n", r.Empty)
	fmt.Fprintf(w, "  kpp with the history stored                  %s\n", r.Full)
	fmt.Fprintf(w, "  with history ÷ empty                         %8.2f\n", ratio(r.Full, r.Empty))
}

// historyMonths is how many months the filled history spans: the ten
// years before the year the measured reports are for (2015-01 to 2024-12).
const historyMonths = 120

func runHistory(ctx context.Context, cfg Config, empty Rate) (*HistoryResult, error) {
	st, err := chstore.Open(ctx, cfg.DSN, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	pf := Portfolio{Prefix: "hist-", Projects: max(cfg.History/historyMonths, 1), First: schema.Period{Year: 2015, Month: 1}, Months: historyMonths}
	start := time.Now()
	if err := Fill(ctx, st.Conn(), pf, func(done, total int) {
		cfg.say("  filling history: %d of %d reports (%s)", done, total, time.Since(start).Round(time.Second))
	}); err != nil {
		return nil, err
	}
	cfg.say("  merging the history (OPTIMIZE … FINAL)")
	// Stored history has been merged long ago: let ClickHouse merge what
	// was just written before measuring, as a real database would be.
	for _, table := range []string{"investment_reports", "project_registrations"} {
		if err := st.Conn().Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			return nil, fmt.Errorf("bench: merge the filled %s: %w", table, err)
		}
	}
	if err := waitMerged(ctx, st.Conn(), st.Database(), 2*time.Minute); err != nil {
		return nil, err
	}
	out := &HistoryResult{History: pf.Reports(), FillTime: time.Since(start), Empty: empty}
	if out.Full, err = kppRun(ctx, cfg, st, filepath.Join(cfg.Dir, "kpp-history"), "bench-h-", cfg.Events); err != nil {
		return nil, err
	}
	cfg.say("  %-44s %s", "kpp with the history stored", out.Full)
	return out, nil
}
