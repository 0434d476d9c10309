package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/bench"
	"github.com/keyproject/kpp/internal/chserver"
)

type benchCmd struct {
	Events        int           `name:"events" default:"50000" help:"Investment reports in the end-to-end and raw JetStream runs."`
	Single        int           `name:"single" default:"5000" help:"Messages published one at a time (each waiting for its ack)."`
	ClickHouse    string        `name:"clickhouse" env:"KPP_BENCH_CLICKHOUSE" help:"ClickHouse DSN to use (its database is dropped); empty starts a local clickhouse-server."`
	Dir           string        `name:"dir" default:".kpp/bench" type:"path" help:"Working folder for the servers' files; emptied at start."`
	BatchSize     int           `name:"batch-size" default:"5000" help:"Ingest batch size."`
	FlushInterval time.Duration `name:"flush-interval" default:"500ms" help:"Ingest flush interval."`
}

func (c *benchCmd) Run(ctx context.Context, e *env) error {
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("empty %s: %w", c.Dir, err)
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
	fmt.Fprintf(e.out, "kpp bench: %d events (sync before ack unless said otherwise)\n", c.Events)
	res, err := bench.Run(ctx, bench.Config{
		Events: c.Events, SingleEvents: c.Single, DSN: dsn, Dir: c.Dir, Progress: e.out,
		Ingest: ingest.Config{BatchSize: c.BatchSize, FlushInterval: c.FlushInterval},
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.out)
	res.WriteText(e.out)
	return nil
}
