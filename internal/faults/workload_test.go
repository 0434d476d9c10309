//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// reviewed is the month whose board the ingest scenarios check: the
// workload's last.
const reviewed = "2025-12"

// workload is a department's year: projects registered with an annual plan
// for 2025, each reporting every month of 2025 and correcting each report
// once (revision 2, other figures), so that a lost or doubled report
// changes what the latest view and the board show.
type workload struct {
	prefix   string
	projects []schema.Event
	reports  []schema.Event
	byID     map[string]*schema.InvestmentReport
}

func newWorkload(prefix string, n int) *workload {
	const months, revisions = 12, 2
	per := months * revisions
	w := &workload{prefix: prefix, byID: make(map[string]*schema.InvestmentReport, n)}
	for p := 0; p < (n+per-1)/per; p++ {
		w.projects = append(w.projects, &schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: "faults-dept", Revision: 1, ReportedBy: "faults"},
			ProjectID: w.projectID(p), NameZh: fmt.Sprintf("故障测试项目%d", p), Region: "丽水市庆元县",
			Category: schema.CategoryTransport, Stage: schema.StageConstruction,
			AnnualPlans: []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("12000")}},
		})
	}
	for i := 0; i < n; i++ {
		p, rest := i/per, i%per
		month, rev := rest%months+1, rest/months+1
		r := &schema.InvestmentReport{
			Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "faults-dept", Revision: rev, ReportedBy: "faults"},
			ProjectID: w.projectID(p), Period: fmt.Sprintf("2025-%02d", month),
			MonthCompletedWan: schema.MustWan(fmt.Sprintf("%d.%02d", 900+p%97, rev*25)),
			YTDCompletedWan:   schema.MustWan(fmt.Sprintf("%d.%02d", 1000*month+p%97, rev*25)),
			PhysicalProgress:  "主体工程施工中", Problems: "无", NextSteps: "按计划推进",
		}
		if rev > 1 {
			r.CorrectionReason = "更正本月完成投资"
		}
		w.reports = append(w.reports, r)
		w.byID[schema.EventID(r)] = r
	}
	return w
}

func (w *workload) projectID(p int) string { return fmt.Sprintf("%s%06d", w.prefix, p) }

// producer publishes with the departments' producer (producers/submit)
// and keeps the event id of every report JetStream acknowledged.
type producer struct {
	pub *submit.Publisher

	mu    sync.Mutex
	acked map[string]bool
	// n counts acknowledged reports; failures the attempts that failed
	// and were retried.
	n, failures atomic.Int64
}

func (e *env) producer() *producer {
	e.t.Helper()
	pub, err := submit.New(e.js, submit.Config{Source: "api", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	return &producer{pub: pub, acked: map[string]bool{}}
}

// publish publishes events in chunks (atomic batches), waiting pace
// between chunks. A chunk whose publishing fails (NATS down) is published
// again until JetStream acknowledges it: the stable message ids make a
// repeat a duplicate, never a second copy. It returns when every chunk is
// acknowledged, or with the error of an invalid chunk or of ctx.
func (p *producer) publish(ctx context.Context, events []schema.Event, chunk int, pace time.Duration) error {
	for start := 0; start < len(events); start += chunk {
		batch := events[start:min(start+chunk, len(events))]
		for {
			actx, cancel := context.WithTimeout(ctx, 10*time.Second)
			rc, err := p.pub.PublishEvents(actx, batch)
			cancel()
			var invalid *submit.InvalidError
			if errors.As(err, &invalid) {
				return fmt.Errorf("the producer refused events %d to %d: %w", start, start+len(batch), err)
			}
			if err == nil {
				p.mu.Lock()
				for _, ev := range rc.Events() {
					if ev.Kind == string(schema.KindInvestment) && !p.acked[ev.EventID] {
						p.acked[ev.EventID] = true
						p.n.Add(1)
					}
				}
				p.mu.Unlock()
				break
			}
			p.failures.Add(1)
			select {
			case <-ctx.Done():
				return fmt.Errorf("publish events %d to %d: %w (last error: %v)", start, start+len(batch), ctx.Err(), err)
			case <-time.After(200 * time.Millisecond):
			}
		}
		if pace > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pace):
			}
		}
	}
	return nil
}

// stream is a publish running in the background.
type stream struct {
	done chan struct{}
	err  error
}

// ended reports whether the publish returned, and its error.
func (s *stream) ended() (bool, error) {
	select {
	case <-s.done:
		return true, s.err
	default:
		return false, nil
	}
}

// background runs publish in a goroutine.
func (p *producer) background(ctx context.Context, events []schema.Event, chunk int, pace time.Duration) *stream {
	s := &stream{done: make(chan struct{})}
	go func() {
		s.err = p.publish(ctx, events, chunk, pace)
		close(s.done)
	}()
	return s
}

// register publishes the workload's registrations and waits until ingest
// stored them: the producer checks ownership against what ingest stored.
func (e *env) register(ctx context.Context, p *producer, w *workload) {
	e.t.Helper()
	if err := p.publish(ctx, w.projects, submit.MaxBatchSize, 0); err != nil {
		e.t.Fatal(err)
	}
	e.waitIngested(2 * time.Minute)
}

// outcome is what a scenario ends with.
type outcome struct {
	// Reports were published; Acknowledged is how many JetStream
	// acknowledged to the producer (every one, after retries).
	Reports, Acknowledged int
	// Stored is the distinct reports in investment_reports (FINAL);
	// Missing acknowledged and not stored, Extra stored and never
	// acknowledged.
	Stored, Missing, Extra int
	// FinalDuplicates are rows of investment_reports FINAL beyond one per
	// event id; LatestDuplicates rows of investment_latest beyond one per
	// project and month; WrongLatest rows not showing the highest
	// acknowledged revision.
	FinalDuplicates, LatestDuplicates, WrongLatest int
	// RawRows is the rows of investment_reports without FINAL: a report
	// stored twice (a batch written again after a crash) is merged away.
	RawRows uint64
	// Redelivered counts the messages JetStream delivered again (a
	// batch held by a killed replica, acks lost with NATS).
	Redelivered uint64
	// BoardProjects is the projects on the reviewed month's board;
	// BoardWrong those whose figures differ from the acknowledged reports.
	BoardProjects, BoardWrong int
}

func (o outcome) ok() bool {
	return o.Acknowledged == o.Reports && o.Stored == o.Acknowledged && o.Missing == 0 && o.Extra == 0 &&
		o.FinalDuplicates == 0 && o.LatestDuplicates == 0 && o.WrongLatest == 0 && o.BoardWrong == 0
}

func (o outcome) String() string {
	return fmt.Sprintf("reports %d, acknowledged %d, stored %d (missing %d, extra %d), duplicates FINAL %d, latest %d, latest not the newest revision %d; raw rows %d; redelivered %d; board: %d projects, %d wrong",
		o.Reports, o.Acknowledged, o.Stored, o.Missing, o.Extra, o.FinalDuplicates, o.LatestDuplicates, o.WrongLatest, o.RawRows, o.Redelivered, o.BoardProjects, o.BoardWrong)
}

// verify compares what ClickHouse holds with what the producer saw
// acknowledged, computes the reviewed month's board with `kpp rollup
// monthly` and compares each project's line with the acknowledged reports.
// The test fails on any difference.
func (e *env) verify(ctx context.Context, w *workload, p *producer) outcome {
	e.t.Helper()
	st := e.store()
	conn := st.Conn()
	o := outcome{Reports: len(w.reports), Acknowledged: int(p.n.Load())}
	if pr, err := e.progress(); err == nil {
		o.Redelivered = pr.redelivered
	}

	stored := map[string]int{}
	rows, err := conn.Query(ctx, "SELECT event_id FROM investment_reports FINAL WHERE startsWith(project_id, ?)", w.prefix)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		stored[id]++
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	rows.Close()
	o.Stored = len(stored)
	for id, n := range stored {
		o.FinalDuplicates += n - 1
		if !p.acked[id] {
			o.Extra++
		}
	}
	for id := range p.acked {
		if stored[id] == 0 {
			o.Missing++
		}
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM investment_reports WHERE startsWith(project_id, ?)", w.prefix).Scan(&o.RawRows); err != nil {
		e.t.Fatal(err)
	}

	// The newest acknowledged revision of each project and month.
	newest := map[string]*schema.InvestmentReport{}
	for id := range p.acked {
		r := w.byID[id]
		k := r.ProjectID + "|" + r.Period
		if cur := newest[k]; cur == nil || r.Revision > cur.Revision {
			newest[k] = r
		}
	}
	seen := map[string]bool{}
	rows, err = conn.Query(ctx, "SELECT project_id, period, event_id FROM investment_latest WHERE startsWith(project_id, ?)", w.prefix)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var project, period, id string
		if err := rows.Scan(&project, &period, &id); err != nil {
			e.t.Fatal(err)
		}
		k := project + "|" + period
		if seen[k] {
			o.LatestDuplicates++
		}
		seen[k] = true
		if want := newest[k]; want == nil || schema.EventID(want) != id {
			o.WrongLatest++
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	rows.Close()
	o.WrongLatest += len(newest) - len(seen) // months acknowledged and not in the view

	e.kpp("--log-level", "warn", "rollup", "monthly", "--period", reviewed, "--clickhouse", e.dsn, "--nats-url", e.natsURL)
	period, err := schema.ParseReviewPeriod(schema.ReviewMonthly, reviewed)
	if err != nil {
		e.t.Fatal(err)
	}
	board, err := rollup.Load(ctx, st, period)
	if err != nil {
		e.t.Fatal(err)
	}
	o.BoardProjects = len(board.Projects)
	if o.BoardProjects != len(w.projects) {
		e.t.Errorf("the %s board has %d projects, want the %d registered", reviewed, o.BoardProjects, len(w.projects))
	}
	for _, row := range board.Projects {
		want := newest[row.ProjectID+"|"+reviewed]
		switch {
		case want == nil:
			if row.Reported {
				o.BoardWrong++
				e.t.Errorf("board: %s shows a %s report none was acknowledged for", row.ProjectID, reviewed)
			}
		case !row.Reported || row.ReportRevision != uint32(want.Revision) ||
			!row.MonthCompletedWan.Equal(want.MonthCompletedWan.Value) || !row.YTDCompletedWan.Equal(want.YTDCompletedWan.Value):
			o.BoardWrong++
			if o.BoardWrong <= 5 {
				e.t.Errorf("board: %s shows revision %d, 本月 %s, 累计 %s; the acknowledged revision %d says %s, %s",
					row.ProjectID, row.ReportRevision, row.MonthCompletedWan, row.YTDCompletedWan,
					want.Revision, want.MonthCompletedWan.Value, want.YTDCompletedWan.Value)
			}
		}
	}
	if !o.ok() {
		e.t.Errorf("not every acknowledged report is stored once: %s", o)
	}
	return o
}
