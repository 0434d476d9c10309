package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/deadletter"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/readers"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/internal/chserver"
	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/demo"
	"github.com/keyproject/kpp/producers/history"
	"github.com/keyproject/kpp/schema"
)

type demoCmd struct {
	Dir         string        `name:"dir" env:"KPP_DEMO_DIR" default:".kpp/demo" type:"path" help:"Working folder for the demo's ClickHouse and NATS data; emptied at start."`
	ClickHouse  string        `name:"clickhouse" env:"KPP_DEMO_CLICKHOUSE" help:"Use this ClickHouse DSN instead of starting a local clickhouse-server (the database is emptied)."`
	Now         string        `name:"now" env:"KPP_DEMO_NOW" help:"Run the demo as if it were this time (RFC 3339, or 2006-01-02 15:04 in Asia/Shanghai); default the machine's clock. The history runs to the month before."`
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
	now := time.Now().In(schema.Location())
	if c.Now != "" {
		t, err := history.ParseSubmittedAt(c.Now)
		if err != nil {
			return fmt.Errorf("--now: %w; expected e.g. 2025-10-20T10:00:00+08:00 or 2025-10-20 10:00", err)
		}
		now = t
	}
	clock := &demoClock{t: now}
	// The history runs to last month; this month is left to the clerk.
	period := schema.PeriodOf(now).Prev()
	step := func(format string, args ...any) {
		fmt.Fprintf(e.out, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("empty %s: %w", c.Dir, err)
	}

	// 1. ClickHouse.
	dsn, chHTTP := c.ClickHouse, ""
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
		chHTTP = "http://" + srv.HTTPAddr() + "/"
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

	// 4. The portfolio and its history up to last month, imported with the
	// times each report was submitted (most by the 5th, a few late).
	d, err := demo.Build(demo.Config{Year: period.Year, Through: period})
	if err != nil {
		return err
	}
	items := demoHistory(d, now)
	im, err := history.New(nc.js, history.Config{ImportedBy: "kpp demo", Source: "demo", Now: clock.Now, Logger: log})
	if err != nil {
		return err
	}
	rc, err := im.ImportEvents(ctx, items)
	if err != nil {
		if rc != nil {
			_ = rc.WriteText(e.err)
		}
		return fmt.Errorf("import the demo history: %w", err)
	}
	fr := rc.Files[0]
	step("imported %d projects and %d reports (history to %s, submitted %s … %s): %d new, %d duplicates",
		len(d.Projects), len(items)-len(d.Projects), period, fr.First.Format("2006-01-02"), fr.Last.Format("2006-01-02"), fr.Published, fr.Duplicates)

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

	// 6. The same history again: JetStream drops it as duplicates.
	again, err := im.ImportEvents(ctx, items)
	if err != nil {
		return fmt.Errorf("import the demo history again: %w", err)
	}
	step("imported the same %d events again: %d new, %d duplicates (stable message ids)", again.Files[0].Read, again.Files[0].Published, again.Files[0].Duplicates)

	// 7. Wait for ingest.
	want := uint64(fr.Published + len(bad))
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

	// 8. The reviews of the last weeks and months, each run at its
	// scheduled time as kpp serve would have: 变化 and streaks compare with
	// real previous boards. Then last month's 月例会, if its day (the 6th)
	// has not come yet.
	rules := rating.DefaultRules()
	wait := reviewWaitFlags{ReviewWaitIngest: c.Timeout}.waiter(nc.js, ingest.DefaultDurable, log)
	sched, err := schedule.New(nc.js, st, reviewJob(st, rules, log, wait), schedule.Config{Rules: rules.JSON(), Logger: log, Clock: clock})
	if err != nil {
		return err
	}
	rp, err := schema.ParseReviewPeriod(schema.ReviewMonthly, period.String())
	if err != nil {
		return err
	}
	runs := 0
	monthlyDone := false
	for _, due := range demoBackfill(sched, now, period) {
		clock.t = due.At
		rec, err := sched.RunNow(ctx, due.Period, schedule.TriggerBackfill)
		if err != nil {
			return err
		}
		runs++
		if due.Period.Kind == rp.Kind && due.Period.Key() == rp.Key() {
			monthlyDone = true
			step("%s", describeRun(rp, rec))
		}
	}
	clock.t = now
	step("backfilled %d reviews of the last weeks and months at their scheduled times (周分析 Mondays, 旬调度 1st/11th/21st, 月例会 the 6th)", runs)
	if !monthlyDone {
		rec, err := sched.RunNow(ctx, rp, schedule.TriggerManual)
		if err != nil {
			return err
		}
		step("%s (run now: its scheduled day, the 6th, has not come yet)", describeRun(rp, rec))
	}
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
		return c.keepRunning(ctx, e, log, st, nc, in, dsn, chHTTP, rp, d)
	}
	return nil
}

// demoDepartmentProject is the project whose department the demo signs in
// to the intake with --keep-running: 庆元抽水蓄能电站.
const demoDepartmentProject = "qingyuan-pumped-storage"

// demoLeader is the account of the report pages the demo makes (a
// leader), with a new password at every start.
const demoLeader = "demo-leader"

// keepRunning serves the web pages with a token for the demo department
// that owns 庆元抽水蓄能电站, and waits for Ctrl-C.
func (c *demoCmd) keepRunning(ctx context.Context, e *env, log *slog.Logger, st *chstore.Store, nc *natsConn, in *ingest.Ingester, dsn, chHTTP string, rp schema.ReviewPeriod, d *demo.Demo) error {
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
	// An administrator credential, for the history import of the API.
	_, adminToken, err := store.AddAdmin(demoAdmin)
	if err != nil {
		return err
	}
	// The report pages need a sign-in, as in kpp serve: a leader's account.
	rf := reportFlags{readersFileFlags: readersFileFlags{ReadersFile: filepath.Join(c.Dir, "readers.json")}}
	rs, err := rf.open(log)
	if err != nil {
		return err
	}
	leaderPassword, err := rs.Add(demoLeader, readers.RoleLeader)
	if err != nil {
		return err
	}
	web, err := startWeb(ctx, c.HTTPListen, st, nc, intakeFlags{deptFileFlags: deptFileFlags{File: deptFile},
		MaxBody: 1 << 20, MaxUpload: 10 << 20, MaxRows: 5000, RatePerSecond: 5, RateBurst: 20}, rf, in, nil, log)
	if err != nil {
		return err
	}
	defer web.Close()
	current := rp.Month().Next()
	envFile := filepath.Join(c.Dir, demoEnvFile)
	if err := writeDemoEnv(envFile, demoEnv{URL: strings.TrimSuffix(web.url, "/"), Token: iss.Token, AdminToken: adminToken,
		NATSURL: nc.server.URL(), DepartmentsFile: deptFile, Department: owner.DepartmentID,
		Reader: demoLeader, ReaderPassword: leaderPassword}); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "\nStill running; Ctrl-C stops.\n")
	fmt.Fprintf(e.out, "  reports:    %sreports/monthly/%s  — sign in as %s with the password %s\n", web.url, rp.Key(), demoLeader, leaderPassword)
	fmt.Fprintf(e.out, "  intake:     %sintake/  — sign in as %s (%s) with the token %s\n", web.url, owner.DepartmentName, owner.DepartmentID, iss.Token)
	fmt.Fprintf(e.out, "  ClickHouse: %s (read-only user: analyst, no password)\n", dsn)
	if chHTTP != "" {
		fmt.Fprintf(e.out, "  ClickHouse HTTP (BI tools, curl): %s (user analyst)\n", chHTTP)
	}
	fmt.Fprintf(e.out, "  NATS:       %s\n", nc.server.URL())
	fmt.Fprintf(e.out, "  API:        %sapi/v1/ — the examples of docs/api.md run as written after: . %s\n", web.url, envFile)
	fmt.Fprintf(e.out, "              (KPP, KPP_TOKEN, KPP_ADMIN_TOKEN of the administrator %s, KPP_NATS_URL, KPP_DEPARTMENTS_FILE, …)\n", demoAdmin)
	fmt.Fprintf(e.out, "\nWhat next:\n")
	fmt.Fprintf(e.out, "  1. In the intake, report %s for %s: the history is in, this month is open.\n", current, owner.NameZh)
	fmt.Fprintf(e.out, "  2. The board of %s is computed on the 6th of next month at 07:00 by kpp serve; to see it now, in another shell:\n", current)
	fmt.Fprintf(e.out, "       go run ./cmd/kpp rollup monthly --period %s --clickhouse '%s' --nats-url '%s'\n", current, dsn, nc.server.URL())
	fmt.Fprintf(e.out, "     then open %sreports/monthly/%s\n", web.url, current)
	if chHTTP != "" {
		fmt.Fprintf(e.out, "  3. Query as the analyst: curl '%s?user=analyst' --data-binary \"SELECT project_id, period, ytd_completed_wan, received_at FROM kpp.investment_latest WHERE period = '%s'\"\n", chHTTP, current)
	}
	<-ctx.Done()
	return nil
}

// demoAdmin is the administrator credential the demo makes (history
// imports through the API), with a new token at every start.
const demoAdmin = "档案员"

// demoEnvFile is the file in the demo's folder that --keep-running writes
// for shells: `. .kpp/demo/demo.env` sets what docs/api.md's examples use.
const demoEnvFile = "demo.env"

// demoEnv is what demo.env holds.
type demoEnv struct {
	URL, Token, AdminToken, NATSURL, DepartmentsFile, Department, Reader, ReaderPassword string
}

// writeDemoEnv writes the demo's addresses and credentials as shell
// variable assignments (mode 0600: it holds tokens).
func writeDemoEnv(path string, v demoEnv) error {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var b strings.Builder
	fmt.Fprintf(&b, "# kpp demo --keep-running: the demo's addresses and credentials (new at every start).\n")
	fmt.Fprintf(&b, "# In a shell: . %s — then the examples of docs/api.md run as written.\n", path)
	for _, kv := range [][2]string{
		{"KPP", v.URL},                              // the web pages and the API
		{"KPP_TOKEN", v.Token},                      // the token of the demo department
		{"KPP_DEPARTMENT", v.Department},            // its id
		{"KPP_ADMIN_TOKEN", v.AdminToken},           // an administrator's token (POST /api/v1/imports)
		{"KPP_NATS_URL", v.NATSURL},                 // for kpp template, kpp submit, kpp rollup
		{"KPP_DEPARTMENTS_FILE", v.DepartmentsFile}, // the departments file kpp template reads
		{"KPP_READER", v.Reader},                    // the report pages' leader account …
		{"KPP_READER_PASSWORD", v.ReaderPassword},   // … and its password
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], q(kv[1]))
	}
	// Through a temporary name: a shell (or a test) waiting for the file
	// never reads half of it.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
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

// demoClock is the demo's time: the --now it runs at, moved to each
// backfilled review's scheduled time while that review runs.
type demoClock struct{ t time.Time }

func (c *demoClock) Now() time.Time { return c.t }

func (c *demoClock) WaitUntil(ctx context.Context, t time.Time) error { return ctx.Err() }

// demoHistory is what the demo imports: every event of d with its
// declared submission time (the time it says it was reported), except
// those not submitted yet at now.
func demoHistory(d *demo.Demo, now time.Time) []history.Item {
	var out []history.Item
	for _, ev := range d.Events() {
		var at *time.Time
		switch e := ev.(type) {
		case *schema.Project:
			at = e.ReportedAt
		case *schema.InvestmentReport:
			at = e.ReportedAt
		case *schema.MilestoneUpdate:
			at = e.ReportedAt
		}
		if at == nil || at.After(now) {
			continue
		}
		out = append(out, history.Item{Event: ev, SubmittedAt: *at})
	}
	return out
}

// demoBackfill lists the reviews the schedule would have run in the last
// six weeks (weekly and ten-day) and three months (monthly), of this
// year's history only, oldest first.
func demoBackfill(s *schedule.Scheduler, now time.Time, last schema.Period) []schedule.Due {
	yearStart := time.Date(last.Year, time.January, 1, 0, 0, 0, 0, schema.Location())
	var out []schedule.Due
	for _, k := range []struct {
		kind schema.ReviewKind
		back time.Duration
	}{{schema.ReviewWeekly, 42 * 24 * time.Hour}, {schema.ReviewDekad, 42 * 24 * time.Hour}, {schema.ReviewMonthly, 100 * 24 * time.Hour}} {
		for _, d := range s.Due(k.kind, now.Add(-k.back), now) {
			if !d.Period.Start.Before(yearStart) {
				out = append(out, d)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
