package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// RollupConfig sizes the rollups scenario ([Rollups]).
type RollupConfig struct {
	// Self is the kpp binary, run as a child process for each review.
	// Required.
	Self string
	// DSN is the ClickHouse server and database to use; the database is
	// dropped and migrated first. Required.
	DSN string
	// Dir is a working folder (the embedded NATS server's files). Required.
	Dir string
	// Projects and Months size the portfolio ([Portfolio]): Projects
	// registrations, each with a report for each of Months months.
	// Defaults 100,000 and 60.
	Projects, Months int
	// Progress receives a line as each step ends; nil for none.
	Progress io.Writer
	// Now is the time the portfolio ends before: its last month is the one
	// before the month before Now, so that every report of it was received
	// (the late ones on the 25th of the next month). Default time.Now().
	Now time.Time
}

// RollupResult is what [Rollups] measured: the single aggregation query and
// the three reviews computed by `kpp rollup` in its own process, in one run
// on the same data.
type RollupResult struct {
	// Projects, Months and Reports describe the portfolio; Fill is how long
	// writing it took.
	Projects, Months, Reports int
	Fill                      time.Duration
	// Query is the single query as run, its Months the months it reads
	// (those the monthly review reads: January to the last month of the
	// last year). QueryTime is the median of three runs after one warm-up,
	// each reading every row; QueryRows the rows it returned.
	Query     string
	QueryTime time.Duration
	QueryRows int
	// EveryPartition is the same query without the period_start bounds, so
	// that it reads every monthly partition (as it did before
	// investment_reports was partitioned by month), median of three runs:
	// for comparison only.
	EveryPartition time.Duration
	// Monthly, Weekly and Dekad are the reviews: the monthly review of the
	// last month, the ISO week holding its 20th, its second ten days (D2).
	Monthly, Weekly, Dekad RollupRun
}

// RollupRun is one `kpp rollup` child process.
type RollupRun struct {
	// Period is the review computed.
	Period schema.ReviewPeriod
	// Duration is the process's run time, start to exit; PeakRSS its peak
	// resident memory (see [ChildRun]), bytes.
	Duration time.Duration
	PeakRSS  int64
	// Ratio is Duration ÷ the single query's time.
	Ratio float64
	// ProjectRows is the number of rows the review stored in
	// dispatch_projects (the scenario checks it equals the projects).
	ProjectRows uint64
}

func (c RollupConfig) withDefaults() RollupConfig {
	if c.Projects == 0 {
		c.Projects = 100_000
	}
	if c.Months == 0 {
		c.Months = 60
	}
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	return c
}

func (c RollupConfig) say(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", args...)
	}
}

// rollupQuery is the single query the reviews are compared with: the
// latest 本年累计 per project, by revision, over the months the monthly
// review reads, with FINAL and the conditions the rollup reads them with
// (the months as YYYY-MM, and as their first days for the partitions by
// month). Parameters: the first and the last month as YYYY-MM, then as
// YYYY-MM-DD.
const rollupQuery = `SELECT project_id, argMax(ytd_completed_wan, revision) AS ytd
FROM investment_reports FINAL
WHERE received_at < now() AND period >= ? AND period <= ? AND period_start >= toDate(?) AND period_start <= toDate(?)
GROUP BY project_id`

// Rollups fills a portfolio of cfg.Projects projects × cfg.Months months
// with [Fill] (the database of cfg.DSN is dropped and migrated first),
// waits until ClickHouse has merged what Fill wrote (at most a minute),
// then measures in the same run:
//
//  1. the single query
//     SELECT project_id, argMax(ytd_completed_wan, revision) AS ytd
//     FROM investment_reports FINAL
//     WHERE received_at < now() AND period >= 'Y-01' AND period <= 'Y-MM'
//     AND period_start >= toDate('Y-01-01') AND period_start <= toDate('Y-MM-01')
//     GROUP BY project_id
//     over January to the last month of the last year (the months the
//     monthly review reads), reading every row, median of three runs;
//  2. `kpp rollup monthly --period <last month>` as a child process: its
//     duration and peak resident memory;
//  3. the same for `kpp rollup weekly` of the ISO week holding the last
//     month's 20th and `kpp rollup dekad` of its second ten days.
//
// The reviews run against an embedded NATS server (they record their run
// and publish a review event). Each review must store a row per project in
// dispatch_projects, or Rollups fails.
func Rollups(ctx context.Context, cfg RollupConfig) (*RollupResult, error) {
	cfg = cfg.withDefaults()
	if cfg.Self == "" || cfg.DSN == "" || cfg.Dir == "" {
		return nil, fmt.Errorf("bench: rollups: Self (the kpp binary), DSN and Dir are required")
	}
	if cfg.Projects < 1 || cfg.Months < 1 {
		return nil, fmt.Errorf("bench: rollups: want projects ≥ 1 and months ≥ 1, got %d and %d", cfg.Projects, cfg.Months)
	}
	st, err := freshStore(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	srv, nc, _, err := startNATS(filepath.Join(cfg.Dir, "rollups"), false)
	if err != nil {
		return nil, fmt.Errorf("bench: rollups: start NATS: %w", err)
	}
	defer srv.Shutdown()
	defer nc.Close()

	last := schema.PeriodOf(cfg.Now.In(schema.Location())).Prev().Prev()
	first := last
	for i := 1; i < cfg.Months; i++ {
		first = first.Prev()
	}
	pf := Portfolio{Prefix: "bench-r-", Projects: cfg.Projects, First: first, Months: cfg.Months}
	res := &RollupResult{Projects: cfg.Projects, Months: cfg.Months, Reports: pf.Reports()}
	start := time.Now()
	if err := Fill(ctx, st.Conn(), pf, nil); err != nil {
		return nil, err
	}
	res.Fill = time.Since(start)
	// Measure the steady state, not ClickHouse merging the parts just
	// written.
	if err := waitMerged(ctx, st.Conn(), st.Database(), time.Minute); err != nil {
		return nil, err
	}
	cfg.say("  rollups: %d projects × %d months (%d reports, %s to %s) stored in %s", cfg.Projects, cfg.Months,
		res.Reports, first, last, res.Fill.Round(time.Millisecond))

	// The single query, over the months the monthly review reads.
	january := schema.Period{Year: last.Year, Month: time.January}
	res.Query = strings.NewReplacer("?", "'%s'").Replace(rollupQuery)
	res.Query = strings.Join(strings.Fields(fmt.Sprintf(res.Query, january, last,
		january.Start().Format(time.DateOnly), last.Start().Format(time.DateOnly))), " ")
	median := func(q string) (time.Duration, int, error) {
		var times []time.Duration
		n := 0
		for i := 0; i < 4; i++ {
			t := time.Now()
			var err error
			if n, err = runRollupQuery(ctx, st.Conn(), q, january, last); err != nil {
				return 0, 0, err
			}
			if i > 0 { // the first run warms up
				times = append(times, time.Since(t))
			}
		}
		slices.Sort(times)
		return times[len(times)/2], n, nil
	}
	if res.QueryTime, res.QueryRows, err = median(rollupQuery); err != nil {
		return nil, err
	}
	if res.EveryPartition, _, err = median(everyPartitionQuery); err != nil {
		return nil, err
	}
	cfg.say("  rollups: single query %s, %d rows (%s reading every partition)", res.QueryTime.Round(time.Millisecond),
		res.QueryRows, res.EveryPartition.Round(time.Millisecond))

	mid := time.Date(last.Year, last.Month, 20, 12, 0, 0, 0, schema.Location())
	runs := []struct {
		out *RollupRun
		p   schema.ReviewPeriod
	}{
		{&res.Monthly, schema.ReviewPeriodContaining(schema.ReviewMonthly, mid)},
		{&res.Weekly, schema.ReviewPeriodContaining(schema.ReviewWeekly, mid)},
		{&res.Dekad, schema.ReviewPeriodContaining(schema.ReviewDekad, mid)},
	}
	for _, r := range runs {
		run, err := RunChild(ctx, cfg.Self, "--log-level", "warn", "rollup", string(r.p.Kind), "--period", r.p.Key(),
			"--clickhouse", cfg.DSN, "--nats-url", srv.URL())
		if err != nil {
			return nil, err
		}
		*r.out = RollupRun{Period: r.p, Duration: run.Duration, PeakRSS: run.PeakRSS}
		if res.QueryTime > 0 {
			r.out.Ratio = float64(run.Duration) / float64(res.QueryTime)
		}
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM dispatch_projects WHERE kind = ? AND period = ?",
			string(r.p.Kind), r.p.Key()).Scan(&r.out.ProjectRows); err != nil {
			return nil, fmt.Errorf("bench: rollups: count the stored rows of %s %s: %w", r.p.Kind, r.p.Key(), err)
		}
		if r.out.ProjectRows != uint64(cfg.Projects) {
			return nil, fmt.Errorf("bench: rollups: %s %s stored %d project rows, want %d\n%s", r.p.Kind, r.p.Key(),
				r.out.ProjectRows, cfg.Projects, tail(run.Output, 2000))
		}
		cfg.say("  rollups: kpp rollup %s --period %s: %s (%.2f × the query), peak RSS %s", r.p.Kind, r.p.Key(),
			run.Duration.Round(time.Millisecond), r.out.Ratio, MiB(run.PeakRSS))
	}
	return res, nil
}

// everyPartitionQuery is rollupQuery without the partition bounds.
const everyPartitionQuery = `SELECT project_id, argMax(ytd_completed_wan, revision) AS ytd
FROM investment_reports FINAL
WHERE received_at < now() AND period >= ? AND period <= ?
GROUP BY project_id`

// runRollupQuery runs q (rollupQuery or everyPartitionQuery) for the months
// first to last and reads every row.
func runRollupQuery(ctx context.Context, conn driver.Conn, q string, first, last schema.Period) (int, error) {
	args := []any{first.String(), last.String()}
	if strings.Count(q, "?") == 4 {
		args = append(args, first.Start().Format(time.DateOnly), last.Start().Format(time.DateOnly))
	}
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("bench: rollups: run the single query: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		var ytd decimal.Decimal
		if err := rows.Scan(&id, &ytd); err != nil {
			return 0, fmt.Errorf("bench: rollups: read the single query: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("bench: rollups: read the single query: %w", err)
	}
	return n, nil
}

// WriteText prints the figures as a table.
func (r *RollupResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "rollups — %d projects × %d months (%d reports), one run\n", r.Projects, r.Months, r.Reports)
	fmt.Fprintf(w, "  single query: %s\n", r.Query)
	fmt.Fprintf(w, "  %-36s %10s %8s %10s\n", "", "time", "×query", "peak RSS")
	fmt.Fprintf(w, "  %-36s %10s %8s %10s\n", "single query (median of 3)", r.QueryTime.Round(time.Millisecond), "1.00", "—")
	if r.QueryTime > 0 && r.EveryPartition > 0 {
		fmt.Fprintf(w, "  %-36s %10s %8.2f %10s\n", "  the same, every partition (info)", r.EveryPartition.Round(time.Millisecond),
			float64(r.EveryPartition)/float64(r.QueryTime), "—")
	}
	for _, run := range []RollupRun{r.Monthly, r.Weekly, r.Dekad} {
		fmt.Fprintf(w, "  %-36s %10s %8.2f %10s\n", "kpp rollup "+string(run.Period.Kind)+" --period "+run.Period.Key(),
			run.Duration.Round(time.Millisecond), run.Ratio, MiB(run.PeakRSS))
	}
}

// waitMerged waits until ClickHouse runs no merge in database db, at most
// limit.
func waitMerged(ctx context.Context, conn driver.Conn, db string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.merges WHERE database = ?", db).Scan(&n); err != nil {
			return fmt.Errorf("bench: read the running merges: %w", err)
		}
		if n == 0 || time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
