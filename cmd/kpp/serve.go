package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keyproject/kpp/consumers/ingest"
)

type serveCmd struct {
	natsFlags
	chFlags

	BatchSize     int           `name:"batch-size" env:"KPP_INGEST_BATCH_SIZE" default:"5000" help:"Most rows written by one ClickHouse insert (and held unacknowledged by this replica)."`
	FlushInterval time.Duration `name:"flush-interval" env:"KPP_INGEST_FLUSH_INTERVAL" default:"500ms" help:"How long a partial batch waits for more messages before it is written."`
	MaxDeliver    int           `name:"max-deliver" env:"KPP_INGEST_MAX_DELIVER" default:"10" help:"How many times JetStream delivers a message that is never acknowledged (-1: unlimited)."`
	AckWait       time.Duration `name:"ack-wait" env:"KPP_INGEST_ACK_WAIT" default:"30s" help:"How long JetStream waits for an ack before redelivering; redeliveries then back off (AckWait × 1, 2, 4, 10, 20)."`
	Durable       string        `name:"durable" env:"KPP_INGEST_DURABLE" default:"kpp-ingest" help:"Durable consumer name; replicas with the same name share the work."`
}

func (c *serveCmd) Run(ctx context.Context, e *env) error {
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	e.log.Info("ClickHouse ready", "database", st.Database(), "version", st.ServerVersion(), "migrations_applied", len(applied))

	nc, err := connectNATS(ctx, c.natsFlags, e.log)
	if err != nil {
		return err
	}
	defer nc.Close()

	in, err := ingest.New(nc.js, st, ingest.Config{
		Durable:       c.Durable,
		BatchSize:     c.BatchSize,
		FlushInterval: c.FlushInterval,
		MaxDeliver:    c.MaxDeliver,
		AckWait:       c.AckWait,
		Logger:        e.log,
	})
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	e.log.Info("ingest running; stop with Ctrl-C or SIGTERM", "durable", c.Durable, "batch_size", c.BatchSize, "flush_interval", c.FlushInterval)
	err = in.Run(ctx)
	t := in.Stats().Total()
	e.log.Info("ingest stopped", "accepted", t.Accepted, "duplicates", t.Duplicate, "rejected", t.Rejected)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("ingest: %w", err)
	}
	return nil
}
