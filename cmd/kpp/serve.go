package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/natsauth"
)

type serveCmd struct {
	natsFlags
	chFlags
	clusterFlags
	rulesFlags
	scheduleFlags
	reviewWaitFlags

	HTTPListen string `name:"http-listen" env:"KPP_HTTP_LISTEN" default:"127.0.0.1:8080" help:"Address of the web server: the reports (/, /reports/…), the departments' intake (/intake/, /api/v1/), /healthz and /metrics (Prometheus). Empty disables it."`
	intakeFlags
	reportFlags

	BatchSize     int           `name:"batch-size" env:"KPP_INGEST_BATCH_SIZE" default:"5000" help:"Most rows written by one ClickHouse insert (and held unacknowledged by this replica)."`
	FlushInterval time.Duration `name:"flush-interval" env:"KPP_INGEST_FLUSH_INTERVAL" default:"500ms" help:"How long a partial batch waits for more messages before it is written."`
	MaxDeliver    int           `name:"max-deliver" env:"KPP_INGEST_MAX_DELIVER" default:"10" help:"How many times JetStream delivers a message that is never acknowledged (-1: unlimited)."`
	AckWait       time.Duration `name:"ack-wait" env:"KPP_INGEST_ACK_WAIT" default:"30s" help:"How long JetStream waits for an ack before redelivering; redeliveries then back off (AckWait × 1, 2, 4, 10, 20)."`
	Durable       string        `name:"durable" env:"KPP_INGEST_DURABLE" default:"kpp-ingest" help:"Durable consumer name; replicas with the same name share the work."`
}

// Run runs ingest, the review schedule and the web server until ctx is
// cancelled (SIGINT, SIGTERM), then stops them: ingest finishes or returns
// its batch, the scheduler records interrupted runs and releases its lease.
func (c *serveCmd) Run(ctx context.Context, e *env) error {
	rules, err := c.rulesFlags.load()
	if err != nil {
		return err
	}
	scfg, err := c.scheduleFlags.config(rules, e.log)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := c.clusterFlags.use(st); err != nil {
		return err
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	e.log.Info("ClickHouse ready", "database", st.Database(), "version", st.ServerVersion(), "migrations_applied", len(applied))

	users, servicePassword, err := c.embeddedUsers(e)
	if err != nil {
		return err
	}
	nc, err := connectNATS(ctx, c.natsFlags, e.log, users, servicePassword)
	if err != nil {
		return err
	}
	defer nc.Close()

	depts, err := credentials.New(credentials.Config{Path: c.File, Logger: e.log})
	if err != nil {
		return err
	}
	in, err := ingest.New(nc.js, st, ingest.Config{
		Durable:        c.Durable,
		BatchSize:      c.BatchSize,
		FlushInterval:  c.FlushInterval,
		MaxDeliver:     c.MaxDeliver,
		AckWait:        c.AckWait,
		Logger:         e.log,
		DepartmentName: departmentName(depts),
		Streams:        nc.streams,
	})
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	scfg.Streams = nc.streams
	sched, err := schedule.New(nc.js, st, reviewJob(st, rules, e.log, c.reviewWaitFlags.waiter(nc.js, c.Durable, e.log)), scfg)
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}

	var srv *webServer
	if c.HTTPListen != "" {
		if srv, err = startWeb(ctx, c.HTTPListen, st, nc, c.intakeFlags, c.reportFlags, in, sched, e.log); err != nil {
			return err
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 2)
	go func() { done <- wrap("ingest", in.Run(runCtx)) }()
	go func() { done <- wrap("schedule", sched.Run(runCtx)) }()
	e.log.Info("serving; stop with Ctrl-C or SIGTERM", "durable", c.Durable, "batch_size", c.BatchSize, "flush_interval", c.FlushInterval)

	// The first component to stop ends the others.
	first := <-done
	stop()
	srv.Close()
	second := <-done
	t := in.Stats().Total()
	e.log.Info("stopped", "accepted", t.Accepted, "duplicates", t.Duplicate, "rejected", t.Rejected)
	return errors.Join(first, second)
}

func wrap(component string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("%s: %w", component, err)
}

// embeddedUsers turns on the embedded NATS server's authorization when the
// departments file has departments with NATS users: each may publish only
// on its own subjects, and kpp serve connects as the service user
// kpp-service with KPP_NATS_PASSWORD or, when that is unset, the password
// in <data-dir>/nats-service.secret (made at the first such start, mode
// 0600). The server keeps only its bcrypt hash; the operator's commands on
// this machine read the file to sign in. See docs/security.md.
func (c *serveCmd) embeddedUsers(e *env) ([]*server.User, string, error) {
	if c.NATSURL != "" {
		return nil, "", nil
	}
	store, err := credentials.New(credentials.Config{Path: c.File, Logger: quiet(e)})
	if err != nil {
		return nil, "", err
	}
	ds, err := store.NATSDepartments()
	if err != nil || len(ds) == 0 {
		return nil, "", err
	}
	pw, err := lookupServicePassword(c.DataDir, true)
	if err != nil {
		return nil, "", err
	}
	e.log.Info("embedded NATS authorization on: departments publish as their own users; kpp serve and the operator's commands sign in as "+natsauth.DefaultServiceUser,
		"departments", len(ds), "service_password_from", pw.source)
	users, err := natsauth.Users(natsauth.Config{Departments: ds, ServicePassword: pw.password})
	if err != nil {
		return nil, "", err
	}
	return users, pw.password, nil
}

// departmentName returns the registered name of a department from the
// departments file, for ingest's check of department_name.
func departmentName(depts *credentials.Store) func(string) (string, bool) {
	return func(id string) (string, bool) {
		d, err := depts.Get(id)
		if err != nil {
			return "", false
		}
		return d.Name, true
	}
}
