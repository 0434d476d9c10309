package rollup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/schema"
)

// RunOptions are the settings of one run; the zero value is valid.
type RunOptions struct {
	// RunID identifies the run; it is stored in every row (run_id) and is
	// the scheduler's rollup_runs.run_id. Default: generated, e.g.
	// weekly-2025-W39-20250929T070000-1a2b3c4d.
	RunID string
	// Now is the time of the run: stored as computed_at (whole seconds), the
	// cut-off of a monthly review, and what decides whether the period may
	// be reviewed yet. Default: time.Now().
	Now time.Time
	// SliceProjects is how many projects ClickHouse aggregates per query:
	// the run reads the projects in slices of this many ids (the first a
	// fifth of it, so that rating starts soon), and ClickHouse computes
	// the next slice while the run rates the current one. Default
	// DefaultSliceProjects.
	SliceProjects int
}

// DefaultSliceProjects is the default RunOptions.SliceProjects.
const DefaultSliceProjects = 25_000

// Summary says what a run did: the scheduler logs it, records it in
// rollup_runs and publishes it.
type Summary struct {
	// Period is the review period.
	Period schema.ReviewPeriod
	// RunID is the run's id, as stored.
	RunID string
	// Cutoff is the instant the data was read as of; ComputedAt is the
	// computed_at stored with the rows.
	Cutoff, ComputedAt time.Time
	// Projects is the number of registered projects on the board; Reported
	// those whose due report was received by the cut-off.
	Projects, Reported int
	// Missing (未报送) and Late (迟报) count the reporting of the month due.
	Missing, Late int
	// Green, Yellow, Red and Unrated count the projects by status.
	Green, Yellow, Red, Unrated int
	// NewlyRed and Recovered count the changes since the previous review.
	NewlyRed, Recovered int
	// Due, Overdue and Slipped count the milestone alerts.
	Due, Overdue, Slipped int
	// PeriodCompletedWan, YTDCompletedWan and AnnualPlanWan are the overall
	// totals, 万元 (the plan of the rated projects).
	PeriodCompletedWan, YTDCompletedWan, AnnualPlanWan decimal.Decimal
	// CompletionPct and GapPP are the overall completion and its gap to
	// TimeProgressPct; nil when no project is rated.
	CompletionPct, GapPP *decimal.Decimal
	// TimeProgressPct is the overall time progress, %.
	TimeProgressPct decimal.Decimal
	// ProjectRows, TotalRows, MilestoneRows and ReportingRows are the rows
	// written to dispatch_projects, dispatch_totals, dispatch_milestones
	// and dispatch_reporting.
	ProjectRows, TotalRows, MilestoneRows, ReportingRows int
	// Duration is how long the run took.
	Duration time.Duration
	// DroppedRuns are the earlier runs of the period whose rows were
	// dropped once this run was complete.
	DroppedRuns []string
	// DropErr, when not nil, says why earlier runs' rows could not be
	// dropped. The run succeeded: readers read only its rows, and the next
	// run of the period drops the rest.
	DropErr error
}

// MonthlySummary is the summary of a monthly run.
//
// Deprecated: use [Summary].
type MonthlySummary = Summary

// RowsWritten is the number of rows written to the four tables.
func (s *Summary) RowsWritten() int {
	return s.ProjectRows + s.TotalRows + s.MilestoneRows + s.ReportingRows
}

// LogValue logs the summary with the project's stable keys.
func (s *Summary) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", string(s.Period.Kind)),
		slog.String("period", s.Period.Key()),
		slog.String("run_id", s.RunID),
		slog.Int("projects", s.Projects),
		slog.Int("reported", s.Reported),
		slog.Int("missing", s.Missing),
		slog.Int("late", s.Late),
		slog.Int("green", s.Green),
		slog.Int("yellow", s.Yellow),
		slog.Int("red", s.Red),
		slog.Int("unrated", s.Unrated),
		slog.Int("rows", s.RowsWritten()),
		slog.Duration("duration", s.Duration),
	)
}

// Run computes the review of period p with rules and replaces its stored
// rows (see the package doc). The period must be valid (from
// schema.ParseReviewPeriod, ReviewPeriodContaining or LastEnded); a weekly
// or ten-day period must have ended by opts.Now, a monthly one must have
// started (while its month runs, milestones are judged as of today).
//
// It returns an error wrapping [ErrPeriodNotOver] or [ErrFuturePeriod] for
// a period too early, [ErrNoProjects] when nothing is registered (and then
// writes nothing), [rating.ErrBadRules] for an invalid rule, or the
// ClickHouse error with what was being read or written.
func Run(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod, rules rating.Rules, opts RunOptions) (*Summary, error) {
	started := time.Now()
	now := opts.Now
	if now.IsZero() {
		now = started
	}
	if st == nil {
		return nil, fmt.Errorf("%s rollup %s: no store (open one with chstore.Open)", p.Kind, p.Key())
	}
	if err := checkPeriod(p); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("%s rollup %s", p.Kind, p.Key())
	if err := rules.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	now = now.In(schema.Location())
	computedAt := now.Truncate(time.Second)
	cutoff := p.End
	switch {
	case p.Kind == schema.ReviewMonthly:
		if current := schema.PeriodOf(now); current.Before(p.Month()) {
			return nil, fmt.Errorf("monthly rollup: %w: %s is after the current month %s; expected %s or earlier",
				ErrFuturePeriod, p.Key(), current, current)
		}
		// Everything received by the run's second (received_at has whole
		// seconds).
		cutoff = computedAt.Add(time.Second)
	case now.Before(p.End):
		return nil, fmt.Errorf("%s: %w: %s (%s) ends at %s and it is %s; its review reads the data received by its end, so run it at or after then (the last ended %s period is %s)",
			what, ErrPeriodNotOver, p.Key(), p.Label(), p.End.Format(time.DateTime), now.Format(time.DateTime), p.Kind, schema.LastEnded(p.Kind, now).Key())
	}
	runID := opts.RunID
	if runID == "" {
		runID = newRunID(p, now)
	}

	rv, err := newReview(p, rules, cutoff, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if p.Kind == schema.ReviewMonthly {
		if rv.prevCutoff, err = previousCutoff(ctx, st.Conn(), p, cutoff); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	slice := opts.SliceProjects
	if slice <= 0 {
		slice = DefaultSliceProjects
	}
	s, err := compute(ctx, st.Conn(), rv, computedAt, runID, slice)
	if errors.Is(err, ErrNoProjects) {
		return nil, fmt.Errorf("%s: %w: none received before %s in database %s; register projects first",
			what, ErrNoProjects, cutoff.Format(time.DateTime), st.Database())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := writeCalendar(ctx, st.Conn(), rules.Deadline, p.Month().Year, runID, computedAt); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	s.Duration = time.Since(started)
	return s, nil
}

// previousCutoff is the cut-off of the stored review before monthly
// review p: a milestone slipped when its forecast now is later than the
// forecast the previous board showed, which is the forecast as of that
// board's cut-off (the instant it ran, usually the 6th of p's month). When
// the previous month was never reviewed, or its stored review read data
// past this one's cutoff (a re-run of an earlier month), it is p's first
// day.
func previousCutoff(ctx context.Context, conn driver.Conn, p schema.ReviewPeriod, cutoff time.Time) (time.Time, error) {
	prev := p.Prev()
	var secs uint32
	if err := conn.QueryRow(ctx, query("previous_cutoff"), string(prev.Kind), prev.Key(), string(prev.Kind), prev.Key()).Scan(&secs); err != nil {
		return time.Time{}, fmt.Errorf("read the cut-off of the previous %s review %s: %w", prev.Kind, prev.Key(), err)
	}
	at := time.Unix(int64(secs), 0).In(schema.Location())
	if secs == 0 || at.After(cutoff) {
		return p.Start, nil
	}
	return at, nil
}

// readChunk is how many projects the reader hands to a rater at a time.
const readChunk = 512

// ratedProject is what rating a project gives: its row, its plan and time
// progress when it is rated, its milestone alerts, its reporting row when
// due.
type ratedProject struct {
	row    ProjectRow
	rated  *ratedPlan
	alerts []MilestoneAlert
	rep    *ReportingRow
}

// compute computes review rv and stores it as it goes. ClickHouse
// aggregates the facts to a row per project; a pipeline of goroutines
// reads them (readProjects), rates them (several at once), accumulates the
// totals and the summary and buffers the rows (one collector), and inserts
// the full buffers in order (one inserter); the totals are inserted last.
// Memory holds a few chunks and batches, never the whole review.
func compute(ctx context.Context, conn driver.Conn, rv review, computedAt time.Time, runID string, sliceProjects int) (*Summary, error) {
	slices, err := projectSlices(ctx, conn, rv.cutoff, sliceProjects)
	if err != nil {
		return nil, err
	}
	if len(slices) == 0 {
		return nil, ErrNoProjects
	}
	jobs := make(chan func(context.Context) error)
	w, err := newWriter(ctx, conn, rv.p, rv.cutoff, computedAt, runID, jobs)
	if err != nil {
		return nil, err
	}
	s := &Summary{Period: rv.p, RunID: runID, Cutoff: rv.cutoff, ComputedAt: computedAt}
	tt := newTotaler(rv.tp)
	// As many raters as the Go scheduler runs goroutines at once (rating
	// is most of the run's CPU), at least two.
	raters := max(2, runtime.GOMAXPROCS(0))
	pl := newPipeline(ctx)
	chunks := make(chan []reviewed, raters)
	results := make(chan []ratedProject, raters)

	pl.run(func(ctx context.Context) error {
		defer close(chunks)
		return readProjects(ctx, conn, rv, slices, readChunk, func(c []reviewed) error { return sendTo(ctx, chunks, c) })
	})
	var ratersDone sync.WaitGroup
	for range raters {
		ratersDone.Add(1)
		pl.run(func(ctx context.Context) error {
			defer ratersDone.Done()
			for c := range chunks {
				out, err := rateChunk(c, rv)
				if err != nil {
					return err
				}
				if err := sendTo(ctx, results, out); err != nil {
					return err
				}
			}
			return nil
		})
	}
	go func() {
		ratersDone.Wait()
		close(results)
	}()
	var totals []TotalRow
	pl.run(func(ctx context.Context) error {
		defer close(jobs)
		for c := range results {
			for i := range c {
				r := &c[i]
				var status ReportingStatus
				if r.rep != nil {
					status = r.rep.Status
				}
				tt.add(&r.row, status, r.rated)
				s.count(&r.row, r.alerts)
				if err := w.add(ctx, &r.row, r.alerts, r.rep); err != nil {
					return err
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err() // the review is incomplete
		}
		totals = tt.rows()
		return w.finish(ctx, totals)
	})
	pl.run(func(ctx context.Context) error {
		for job := range jobs {
			if err := job(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err := pl.wait(); err != nil {
		w.abort()
		if derr := w.discard(ctx); derr != nil {
			return nil, errors.Join(err, fmt.Errorf("the run's rows are left for the next run to drop: %w", derr))
		}
		return nil, err
	}
	// The swap: once the run is recorded complete, readers read its rows.
	// When the record fails the rows stay (the record may have landed);
	// the next good run drops them.
	if err := w.commit(ctx); err != nil {
		return nil, err
	}
	s.DroppedRuns, s.DropErr = w.dropEarlier(ctx)
	s.ProjectRows, s.TotalRows, s.MilestoneRows, s.ReportingRows = w.projectRows, w.totalRows, w.milestoneRows, w.reportingRows
	for _, t := range totals {
		if t.Dimension != DimensionAll {
			continue
		}
		s.Missing, s.Late = t.Missing, t.Late
		s.PeriodCompletedWan, s.YTDCompletedWan, s.AnnualPlanWan = t.PeriodCompletedWan, t.YTDCompletedWan, t.AnnualPlanWan
		s.CompletionPct, s.GapPP, s.TimeProgressPct = t.CompletionPct, t.GapPP, t.TimeProgressPct
	}
	return s, nil
}

// rateChunk rates a chunk of projects.
func rateChunk(c []reviewed, rv review) ([]ratedProject, error) {
	out := make([]ratedProject, len(c))
	for i := range c {
		pf, ms, r := &c[i].facts, c[i].milestones, &out[i]
		row, tp, err := projectRow(pf, ms, rv)
		if err != nil {
			return nil, fmt.Errorf("rate project %s for %s %s: %w", pf.id, rv.p.Kind, rv.p.Key(), err)
		}
		r.row = row
		if row.Status != rating.Unrated {
			r.rated = &ratedPlan{plan: *row.AnnualPlanWan, tp: tp}
		}
		r.alerts = alerts(nil, pf, ms, rv)
		if rep, due := reportingRow(pf, rv); due {
			r.rep = &rep
		}
	}
	return out, nil
}

// sendTo sends v on ch unless ctx ends first.
func sendTo[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pipeline runs goroutines that share a context, cancelled by the first
// error, which wait returns.
type pipeline struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newPipeline(ctx context.Context) *pipeline {
	p := &pipeline{}
	p.ctx, p.cancel = context.WithCancel(ctx)
	return p
}

func (p *pipeline) run(fn func(context.Context) error) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := fn(p.ctx); err != nil {
			p.once.Do(func() {
				p.err = err
				p.cancel()
			})
		}
	}()
}

func (p *pipeline) wait() error {
	p.wg.Wait()
	p.cancel()
	return p.err
}

// count adds a project row and its milestone alerts to the counts.
func (s *Summary) count(r *ProjectRow, alerts []MilestoneAlert) {
	s.Projects++
	if r.Reported {
		s.Reported++
	}
	switch r.Status {
	case rating.Green:
		s.Green++
	case rating.Yellow:
		s.Yellow++
	case rating.Red:
		s.Red++
	default:
		s.Unrated++
	}
	switch r.Change {
	case ChangeNewlyRed:
		s.NewlyRed++
	case ChangeRecovered:
		s.Recovered++
	}
	for _, m := range alerts {
		switch m.Alert {
		case AlertDue:
			s.Due++
		case AlertOverdue:
			s.Overdue++
		case AlertSlipped:
			s.Slipped++
		}
	}
}

// Monthly runs the monthly review of period at now: Run with a monthly
// period.
//
// Deprecated: use [Run] with schema.ParseReviewPeriod(schema.ReviewMonthly, …).
func Monthly(ctx context.Context, st *chstore.Store, period schema.Period, rules rating.Rules, now time.Time) (*Summary, error) {
	p, err := schema.ParseReviewPeriod(schema.ReviewMonthly, period.String())
	if err != nil {
		return nil, fmt.Errorf("monthly rollup: %w", err)
	}
	return Run(ctx, st, p, rules, RunOptions{Now: now})
}

// checkPeriod accepts only a period as schema builds it.
func checkPeriod(p schema.ReviewPeriod) error {
	if _, err := schema.ParseReviewKind(string(p.Kind)); err != nil {
		return fmt.Errorf("rollup: %w", err)
	}
	want, err := schema.ParseReviewPeriod(p.Kind, p.Key())
	if err != nil {
		return fmt.Errorf("%s rollup: %w", p.Kind, err)
	}
	if !want.Start.Equal(p.Start) || !want.End.Equal(p.End) {
		return fmt.Errorf("%s rollup: period %s runs %s to %s, but %s runs %s to %s; build periods with schema.ParseReviewPeriod",
			p.Kind, p.Key(), p.Start, p.End, p.Key(), want.Start, want.End)
	}
	return nil
}

func newRunID(p schema.ReviewPeriod, now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s-%s", p.Kind, p.Key(), now.Format("20060102T150405"), hex.EncodeToString(b[:]))
}
