package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/deadletter"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/demo"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

type demoCmd struct {
	Dir         string        `name:"dir" env:"KPP_DEMO_DIR" default:".kpp/demo" type:"path" help:"Working folder for the demo's ClickHouse and NATS data; emptied at start."`
	ClickHouse  string        `name:"clickhouse" env:"KPP_DEMO_CLICKHOUSE" help:"Use this ClickHouse DSN instead of starting a local clickhouse-server (the database is emptied)."`
	Period      string        `name:"period" default:"2025-09" help:"Last reported month and the board's month, YYYY-MM."`
	Format      string        `name:"format" short:"f" default:"table" enum:"table,csv,md" help:"Format of the printed board."`
	KeepRunning bool          `name:"keep-running" help:"Keep ClickHouse, NATS, ingest and the web pages (reports, a demo department's intake) running after the board is printed; stop with Ctrl-C."`
	HTTPListen  string        `name:"http-listen" default:"127.0.0.1:8080" help:"With --keep-running: address of the web pages (port 0 picks a free one)."`
	Timeout     time.Duration `name:"timeout" default:"2m" help:"Give up if ingest has not stored everything by then."`
	Verbose     bool          `name:"verbose" short:"v" help:"Show the components' logs (ingest, producer) besides the demo's progress."`
}

func (c *demoCmd) Run(ctx context.Context, e *env) error {
	start := time.Now()
	log := e.log
	if !c.Verbose {
		log = slog.New(slog.NewTextHandler(e.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	period, err := schema.ParsePeriod(c.Period)
	if err != nil {
		return fmt.Errorf("--period: %w", err)
	}
	step := func(format string, args ...any) {
		fmt.Fprintf(e.out, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("empty %s: %w", c.Dir, err)
	}

	// 1. ClickHouse.
	dsn := c.ClickHouse
	if dsn == "" {
		step("starting clickhouse-server in %s …", filepath.Join(c.Dir, "clickhouse"))
		srv, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(c.Dir, "clickhouse")})
		if err != nil {
			if errors.Is(err, chserver.ErrNotInstalled) {
				return fmt.Errorf("%w; `make demo` installs it", err)
			}
			return err
		}
		defer srv.Stop()
		dsn = srv.DSN("kpp")
	}
	st, err := chstore.Open(ctx, dsn, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.ClickHouse != "" {
		if err := st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS `"+st.Database()+"`"); err != nil {
			return fmt.Errorf("empty database %s: %w", st.Database(), err)
		}
		st.Close()
		if st, err = chstore.Open(ctx, dsn, log); err != nil {
			return err
		}
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	step("ClickHouse %s ready at %s, database %s (%d migrations applied)", st.ServerVersion(), dsn, st.Database(), len(applied))

	// 2. NATS, embedded, on a free port.
	nc, err := connectNATS(ctx, natsFlags{DataDir: c.Dir, NATSListen: "127.0.0.1:0"}, log, nil, "")
	if err != nil {
		return err
	}
	defer nc.Close()
	step("embedded NATS JetStream at %s (file storage, sync before ack)", nc.server.URL())

	// 3. Ingest.
	in, err := ingest.New(nc.js, st, ingest.Config{Logger: log, FlushInterval: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	ictx, stopIngest := context.WithCancel(ctx)
	ingestDone := make(chan error, 1)
	go func() { ingestDone <- in.Run(ictx) }()
	defer func() {
		stopIngest()
		<-ingestDone
	}()
	step("ingest running (durable pull consumer %s)", ingest.DefaultDurable)

	// 4. The portfolio and a year of reports, through the producer.
	d, err := demo.Build(demo.Config{Year: period.Year, Through: period})
	if err != nil {
		return err
	}
	pub, err := submit.New(nc.js, submit.Config{Source: "demo", Logger: log})
	if err != nil {
		return err
	}
	rc, err := pub.PublishEvents(ctx, d.Events())
	if err != nil {
		return fmt.Errorf("publish the demo reports: %w", err)
	}
	tot := rc.Totals()
	batches := fmt.Sprintf("%d atomic batches", len(rc.Files[0].Batches))
	if len(rc.Files[0].Batches) == 1 {
		batches = "one atomic batch"
	}
	step("published %d projects and %d reports (%d-01 … %s) in %s: %d new, %d duplicates",
		len(d.Projects), len(d.Reports), period.Year, period, batches, tot.Published, tot.Duplicates)

	// 5. A few bad messages, as a misbehaving client would send them.
	bad, err := demo.BadMessages(d.Config)
	if err != nil {
		return err
	}
	for _, b := range bad {
		m := nats.NewMsg(b.Subject)
		m.Data = b.Payload
		m.Header.Set(schema.HeaderMsgID, b.MsgID)
		if _, err := nc.js.PublishMsg(ctx, m); err != nil {
			return fmt.Errorf("publish bad message %s: %w", b.Name, err)
		}
	}
	step("published %d invalid messages directly (bypassing the producer's checks)", len(bad))

	// 6. The same reports again: JetStream drops them as duplicates.
	again, err := pub.PublishEvents(ctx, d.Events())
	if err != nil {
		return fmt.Errorf("republish the demo reports: %w", err)
	}
	step("published the same %d events again: %d new, %d duplicates (stable message ids)", again.Totals().Read, again.Totals().Published, again.Totals().Duplicates)

	// 7. Wait for ingest.
	want := uint64(tot.Published + len(bad))
	deadline := time.Now().Add(c.Timeout)
	for {
		t := in.Stats().Total()
		if t.Accepted+t.Rejected+t.Duplicate >= want {
			step("ingest stored %d events and dead-lettered %d", t.Accepted, t.Rejected)
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ingest handled %d of %d messages in %s; see the log above", t.Accepted+t.Rejected+t.Duplicate, want, c.Timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-ingestDone:
			return fmt.Errorf("ingest stopped: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}

	// 8. The monthly review (月例会), run and recorded as the schedule would.
	rules := rating.DefaultRules()
	wait := reviewWaitFlags{ReviewWaitIngest: c.Timeout}.waiter(nc.js, ingest.DefaultDurable, log)
	sched, err := schedule.New(nc.js, st, reviewJob(st, rules, log, wait), schedule.Config{Rules: rules.JSON(), Logger: log})
	if err != nil {
		return err
	}
	rp, err := schema.ParseReviewPeriod(schema.ReviewMonthly, period.String())
	if err != nil {
		return err
	}
	rec, err := sched.RunNow(ctx, rp, schedule.TriggerManual)
	if err != nil {
		return err
	}
	step("%s", describeRun(rp, rec))
	b, err := report.Load(ctx, st, rp)
	if err != nil {
		return err
	}
	var files []string
	for _, f := range []string{"html", "xlsx"} {
		path := filepath.Join(c.Dir, b.FileName(f))
		if err := writeFile(path, func(w io.Writer) error { return b.Render(w, f) }); err != nil {
			return err
		}
		files = append(files, path)
	}
	step("wrote the printable page and the workbook: %s", strings.Join(files, ", "))
	step("note: lateness (迟报) is decided by the server's receive time; the demo's 2025 reports are received today, so they count as late")
	fmt.Fprintln(e.out)
	if err := b.Render(e.out, c.Format); err != nil {
		return err
	}

	rej, err := deadletter.List(ctx, st, deadletter.Filter{Limit: 20})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "\n被拒收的报送 (rejected updates, kpp dlq list): %d\n", len(rej))
	for _, r := range rej {
		fmt.Fprintf(e.out, "  #%d %s — %s\n", r.Seq, r.Subject, r.ReasonZh)
	}
	step("done")

	if c.KeepRunning {
		return c.keepRunning(ctx, e, log, st, nc, in, dsn, rp, d)
	}
	return nil
}

// demoDepartmentProject is the project whose department the demo signs in
// to the intake with --keep-running: 庆元抽水蓄能电站.
const demoDepartmentProject = "qingyuan-pumped-storage"

// keepRunning serves the web pages with a token for the demo department
// that owns 庆元抽水蓄能电站, and waits for Ctrl-C.
func (c *demoCmd) keepRunning(ctx context.Context, e *env, log *slog.Logger, st *chstore.Store, nc *natsConn, in *ingest.Ingester, dsn string, rp schema.ReviewPeriod, d *demo.Demo) error {
	var owner *schema.Project
	for _, p := range d.Projects {
		if p.ProjectID == demoDepartmentProject {
			owner = p
		}
	}
	if owner == nil {
		return fmt.Errorf("the demo portfolio has no project %s, whose department the intake signs in as", demoDepartmentProject)
	}
	deptFile := filepath.Join(c.Dir, "departments.json")
	store, err := credentials.New(credentials.Config{Path: deptFile, Logger: log})
	if err != nil {
		return err
	}
	iss, err := store.Add(owner.DepartmentID, owner.DepartmentName)
	if err != nil {
		return err
	}
	web, err := startWeb(ctx, c.HTTPListen, st, nc, intakeFlags{deptFileFlags: deptFileFlags{File: deptFile},
		MaxBody: 1 << 20, MaxUpload: 10 << 20, MaxRows: 5000, RatePerSecond: 5, RateBurst: 20}, in, log)
	if err != nil {
		return err
	}
	defer web.Close()
	fmt.Fprintf(e.out, "\nStill running; Ctrl-C stops.\n")
	fmt.Fprintf(e.out, "  reports:   %sreports/monthly/%s\n", web.url, rp.Key())
	fmt.Fprintf(e.out, "  intake:    %sintake/  — sign in as %s (%s) with the token %s\n", web.url, owner.DepartmentName, owner.DepartmentID, iss.Token)
	fmt.Fprintf(e.out, "  ClickHouse: %s (read-only user: analyst)\n  NATS:      %s\n", dsn, nc.server.URL())
	<-ctx.Done()
	return nil
}

// writeFile writes a file through a temporary name, so a failed render
// leaves no half-written file.
func writeFile(path string, render func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := render(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
