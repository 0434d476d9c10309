package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/chserver"
)

type benchCmd struct {
	Events        int           `name:"events" default:"50000" help:"Investment reports in each ingest run: the JetStream ceiling, the plain consumer and kpp end to end."`
	History       int           `name:"history" default:"0" help:"Also store this many earlier reports (the ten years before, other projects, written straight into ClickHouse) and measure kpp again against its rate into the empty database, e.g. 20000000. 0 skips."`
	Latency       time.Duration `name:"latency" default:"0s" help:"Also publish single reports at --latency-rate for this long and print publish → queryable p50/p99/max, e.g. 30s. 0 skips."`
	LatencyRate   int           `name:"latency-rate" default:"1000" help:"Reports a second of the --latency run."`
	Burst         int           `name:"burst" default:"0" help:"Also publish a month-end burst of this many reports at once, ingested by kpp serve as its own process, and print the time and its resident memory, e.g. 1000000. 0 skips."`
	Cluster       int           `name:"cluster" default:"0" help:"Also measure kpp's ingest on a NATS cluster of this many embedded nodes on loopback (every stream and bucket with as many replicas, as kpp serve --stream-replicas), against one node, e.g. 3. 0 skips."`
	Projects      int           `name:"projects" default:"0" help:"Also measure the reviews and reports at scale: this many projects (e.g. 100000) with --months of reports written straight into ClickHouse, then kpp rollup monthly/weekly/dekad and kpp report html/xlsx/csv of the monthly review, each as its own process (time and peak memory), against the single FINAL … GROUP BY query. 0 skips."`
	Months        int           `name:"months" default:"60" help:"Months of reports per project of the --projects run."`
	ClickHouse    string        `name:"clickhouse" env:"KPP_BENCH_CLICKHOUSE" help:"ClickHouse DSN to use (its database is dropped); empty starts a local clickhouse-server."`
	Dir           string        `name:"dir" default:".kpp/bench" type:"path" help:"Working folder for the servers' files; emptied at start."`
	BatchSize     int           `name:"batch-size" default:"5000" help:"Ingest batch size (kpp and the plain consumer)."`
	FlushInterval time.Duration `name:"flush-interval" default:"500ms" help:"Ingest flush interval (kpp and the plain consumer)."`
	CPUProfile    string        `name:"cpuprofile" type:"path" help:"Write a CPU profile of the whole run (servers, publishers and in-process ingest) to this file, for go tool pprof."`
}

// Help is the long help of kpp bench: what each scenario measures.
func (c *benchCmd) Help() string {
	return `Every scenario runs on an embedded NATS server with JetStream file storage
(sync before ack) and a ClickHouse server (started here unless --clickhouse),
each on a database of its own. Figures are printed as each step ends and as
tables at the end; docs/performance.md has the figures of one run.

Always, in one run, --events reports each:
  JetStream atomic-batch publish (ceiling)  the reports published in atomic
      batches of 1000 with no consumer: nothing downstream can go faster.
  plain consumer  a batched consumer with no checks: fetch up to --batch-size,
      decode, one INSERT, ack each; publisher running at the same time.
  kpp  kpp submit's publisher (validation, atomic batches) while kpp's
      ingester checks, dedupes, stores and acks; first publish to last ack.

By flag:
  --history N   store N earlier reports (the ten years before the year
      measured, other projects), let ClickHouse merge them, and measure kpp
      again: the ratio to its rate into the empty database shows what
      history costs ingest.
  --latency D   single reports at --latency-rate for D; for each, publish →
      found in ClickHouse (polled every 10ms): p50, p99, max.
  --burst N     N reports published at once and ingested by kpp serve in its
      own process: time to the last ack, its resident memory.
  --cluster N   the ceiling and kpp again on a NATS cluster of N embedded
      nodes on loopback, every stream and bucket replicated N times (kpp
      serve --stream-replicas N): the rate against kpp on one node.
  --projects N --months M   N projects × M months written straight into
      ClickHouse; the single FINAL … GROUP BY query the reviews aggregate;
      kpp rollup monthly, weekly and dekad; kpp report html, xlsx and csv of
      the monthly review — each a process of its own: time, peak memory.

--cpuprofile FILE profiles this process (servers, publishers and the
in-process ingester) for go tool pprof.`
}

func (c *benchCmd) Run(ctx context.Context, e *env) error {
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("empty %s: %w", c.Dir, err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the kpp binary for the child processes: %w", err)
	}
	dsn := c.ClickHouse
	if dsn == "" {
		srv, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(c.Dir, "clickhouse")})
		if err != nil {
			return err
		}
		defer srv.Stop()
		dsn = srv.DSN("kpp_bench")
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(e.out, "kpp bench: %d reports per ingest run (sync before ack)\n", c.Events)
	res, err := bench.Run(ctx, bench.Config{
		Events: c.Events, DSN: dsn, Dir: c.Dir, Self: self, Progress: e.out, Log: e.log,
		History: c.History, Latency: c.Latency, LatencyRate: c.LatencyRate, Burst: c.Burst, Cluster: c.Cluster, Projects: c.Projects, Months: c.Months,
		Ingest: ingest.Config{BatchSize: c.BatchSize, FlushInterval: c.FlushInterval},
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.out)
	res.WriteText(e.out)
	return nil
}
