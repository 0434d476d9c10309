// Package bench measures the pipeline against real servers, for
// `kpp bench`. Every scenario runs on an embedded NATS server with
// JetStream file storage (sync before ack) and a ClickHouse server:
//
//   - ingest (always): in one run, the JetStream atomic-batch publish rate
//     (the ceiling), a plain batched consumer written here (fetch → one
//     INSERT → ack, no checks) and kpp end to end (submit validates and
//     publishes, ingest checks, dedupes, stores and acks);
//   - history: kpp again after N earlier reports are stored, against the
//     rate into the empty database of the same run;
//   - latency: a steady rate of single reports, publish → queryable;
//   - burst: a month-end burst ingested by `kpp serve` as a child process,
//     with its time and resident memory;
//   - rollups and reports at scale: a portfolio filled straight into
//     ClickHouse, its reviews computed by `kpp rollup` and the monthly one
//     rendered by `kpp report`, each in its own process ([Rollups],
//     [Reports]).
//
// It wires producers and consumers together the way cmd/kpp does; neither
// side imports the other.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/natsserver"
	"github.com/keyproject/kpp/schema"
)

// Config chooses the scenarios and their sizes. The zero value of a size
// skips its scenario, but for Events. The scenarios run in the order of the
// fields, each on a database of its own (the DSN's, dropped first).
type Config struct {
	// Events is the number of investment reports of each ingest run.
	// Default 50,000.
	Events int
	// DSN is the ClickHouse server to use; its database is dropped first.
	DSN string
	// Dir holds the NATS servers' files. Required.
	Dir string
	// Self is the kpp binary, for the scenarios that run kpp as a child
	// process (burst).
	Self string
	// Ingest configures kpp's ingester (batch size, flush interval); the
	// plain consumer uses the same batch size.
	Ingest ingest.Config
	// History is the number of earlier reports stored before kpp's rate is
	// measured again (0: skip).
	History int
	// Latency is how long the steady-rate run lasts (0: skip), at
	// LatencyRate reports a second (default 1,000).
	Latency     time.Duration
	LatencyRate int
	// Burst is the number of reports of the month-end burst (0: skip).
	Burst int
	// Projects and Months size the rollups and reports at scale: a
	// portfolio of Projects projects × Months months of reports, its three
	// reviews computed and the monthly one rendered (0 projects: skip).
	Projects, Months int
	// Cluster is the number of NATS nodes of the cluster scenario: kpp's
	// ingest again on that many embedded nodes on loopback, every stream
	// and bucket with as many replicas (0: skip).
	Cluster int
	// Progress receives a line as each step ends; nil for none.
	Progress io.Writer
	// Log receives the logs of the ingesters run in process; nil discards.
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Events == 0 {
		c.Events = 50000
	}
	if c.LatencyRate == 0 {
		c.LatencyRate = 1000
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Ingest.Logger == nil {
		c.Ingest.Logger = c.Log
	}
	return c
}

// Result holds what the scenarios measured; a skipped scenario's part is
// nil.
type Result struct {
	ClickHouse string
	Ingest     *IngestResult
	History    *HistoryResult
	Latency    *LatencyResult
	Burst      *BurstResult
	Cluster    *ClusterResult
	Rollups    *RollupResult
	Reports    *ReportsResult
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
	return fmt.Sprintf("%8.0f /s  (%d in %s)", r.PerSecond(), r.N, r.Duration.Round(time.Millisecond))
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b Rate) float64 {
	if b.PerSecond() == 0 {
		return 0
	}
	return a.PerSecond() / b.PerSecond()
}

// Run performs the scenarios cfg asks for.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Dir == "" || cfg.DSN == "" {
		return nil, fmt.Errorf("bench: Dir and DSN are required")
	}
	res := &Result{}
	var err error
	if res.Ingest, err = runIngest(ctx, cfg, res); err != nil {
		return nil, err
	}
	if cfg.History > 0 {
		if res.History, err = runHistory(ctx, cfg, res.Ingest.KPP); err != nil {
			return nil, err
		}
	}
	if cfg.Latency > 0 {
		if res.Latency, err = runLatency(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Burst > 0 {
		if res.Burst, err = runBurst(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Cluster > 0 {
		if res.Cluster, err = runCluster(ctx, cfg, res.Ingest.KPP); err != nil {
			return nil, err
		}
	}
	if cfg.Projects > 0 {
		dir := filepath.Join(cfg.Dir, "scale")
		if res.Rollups, err = Rollups(ctx, RollupConfig{Self: cfg.Self, DSN: cfg.DSN, Dir: dir, Projects: cfg.Projects, Months: cfg.Months, Progress: cfg.Progress}); err != nil {
			return nil, err
		}
		m := res.Rollups.Monthly.Period
		if res.Reports, err = Reports(ctx, ReportsConfig{Self: cfg.Self, DSN: cfg.DSN, Kind: m.Kind, Period: m.Key(), Dir: dir, Progress: cfg.Progress}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// WriteText prints every measured scenario as a table.
func (r *Result) WriteText(w io.Writer) {
	if r.Ingest != nil {
		r.Ingest.WriteText(w, r.ClickHouse)
	}
	if r.History != nil {
		r.History.WriteText(w)
	}
	if r.Latency != nil {
		r.Latency.WriteText(w)
	}
	if r.Burst != nil {
		r.Burst.WriteText(w)
	}
	if r.Cluster != nil {
		r.Cluster.WriteText(w)
	}
	if r.Rollups != nil {
		r.Rollups.WriteText(w)
	}
	if r.Reports != nil {
		r.Reports.WriteText(w)
	}
}

func (c Config) say(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", args...)
	}
}

// startNATS starts an embedded NATS server with JetStream in dir (emptied
// first), syncing before every ack unless noSync, and connects to it.
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

// freshStore drops the DSN's database and migrates it anew.
func freshStore(ctx context.Context, dsn string) (*chstore.Store, error) {
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		return nil, err
	}
	// Dropping a database of many parts can outlast a read timeout while
	// ClickHouse finishes its merges; try again a few times.
	var dropErr error
	for attempt := 0; attempt < 3; attempt++ {
		if dropErr = st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS `"+st.Database()+"`"); dropErr == nil {
			break
		}
		time.Sleep(2 * time.Second)
	}
	st.Close()
	if dropErr != nil {
		return nil, fmt.Errorf("bench: drop database %s: %w", st.Database(), dropErr)
	}
	if st, err = chstore.Open(ctx, dsn, nil); err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// countStored counts the investment reports of projects starting with
// prefix, through FINAL: each event once however often it was written.
func countStored(ctx context.Context, st *chstore.Store, prefix string) (uint64, error) {
	var n uint64
	err := st.Conn().QueryRow(ctx, "SELECT count() FROM investment_reports FINAL WHERE startsWith(project_id, ?)", prefix).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("bench: count stored reports: %w", err)
	}
	return n, nil
}

// Events builds n valid investment reports of the year 2025 for projects
// whose ids start with prefix: each project reports twelve months and
// corrects each once (revision 2), so n/24 projects, with the
// registrations they need. It is [InvestmentReports](prefix, n, 12, 2).
func Events(prefix string, n int) (projects, reports []schema.Event) {
	return InvestmentReports(prefix, n, 12, 2)
}

// MonthEnd builds n reports as a month-end brings them: all for one month
// (2025-12), each project's report and seven corrections of it, so n/8
// projects. An insert of them touches one partition.
func MonthEnd(prefix string, n int) (projects, reports []schema.Event) {
	return InvestmentReports(prefix, n, 1, 8)
}

// InvestmentReports builds n valid investment reports for projects whose ids start
// with prefix: each project reports the last months of 2025 (months of
// them, up to December), each in revisions 1 to revisions, with the
// registrations they need.
func InvestmentReports(prefix string, n, months, revisions int) (projects, reports []schema.Event) {
	perProject := months * revisions
	np := (n + perProject - 1) / perProject
	for p := 0; p < np; p++ {
		projects = append(projects, &schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: "bench-dept", Revision: 1, ReportedBy: "bench"},
			ProjectID: fmt.Sprintf("%s%06d", prefix, p), NameZh: "基准测试项目" + strconv.Itoa(p), Region: "丽水市庆元县",
			Category: schema.CategoryTransport, Stage: schema.StageConstruction,
			AnnualPlans: []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("12000")}},
		})
	}
	for i := 0; i < n; i++ {
		p, rest := i/perProject, i%perProject
		month, rev := 12-months+rest%months+1, rest/months+1
		r := &schema.InvestmentReport{
			Common:    schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "bench-dept", Revision: rev, ReportedBy: "bench"},
			ProjectID: fmt.Sprintf("%s%06d", prefix, p), Period: fmt.Sprintf("2025-%02d", month),
			MonthCompletedWan: schema.MustWan("1000.5"), YTDCompletedWan: schema.MustWan(decimal.New(10005, -1).Mul(decimal.NewFromInt(int64(month))).String()), // 本年累计 = months × 本月完成
			PhysicalProgress: "主体工程施工中", Problems: "无", NextSteps: "按计划推进",
		}
		if rev > 1 {
			r.CorrectionReason = "基准测试更正"
		}
		reports = append(reports, r)
	}
	return projects, reports
}
