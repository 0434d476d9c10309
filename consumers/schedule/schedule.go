// Package schedule runs the dispatch reviews — weekly analysis (周分析),
// ten-day dispatch (旬调度) and monthly review (月例会) — on their cron
// schedules, exactly once per period across replicas, and records and
// announces every run.
//
// A [Scheduler] is given a [Job] that computes and stores one review (cmd/kpp
// passes a closure around rollup.Run). When a kind's cron spec fires at time
// t, the leader runs schema.LastEnded(kind, t): the period that just ended.
// Every run, scheduled or not:
//
//   - is skipped, and logged, when a run of the same kind is still running
//     in this process;
//   - has its panics recovered: the run is recorded as failed with the panic;
//   - is recorded as one row in the ClickHouse table rollup_runs when it
//     ends (ok or failed, rows, counts by status, the rules);
//   - is logged with kind, period, run_id, duration and rows;
//   - when it succeeds, is announced by a schema.ReviewCompleted event on
//     kpp.reviews.<kind>.completed (stream KPP_REVIEWS, Nats-Msg-Id = run id).
//
// Replicas share the work through a lease in the NATS key-value bucket
// KPP_LEASES: only the replica holding it runs scheduled and catch-up runs.
// The bucket's TTL expires a dead leader's lease, and another replica takes
// over. A new leader catches up every run that was due within the look-back
// and has no successful run since it was due — which includes a run the old
// leader died in the middle of, and excludes the ones it finished.
//
// Manual and back-fill runs ([Scheduler.RunNow]) need no lease; they are
// recorded and announced the same way. [Scheduler.RunLeading] is a manual
// run that needs it (the report pages' recompute), so that it never runs
// beside a scheduled run of the same kind.
//
// docs/schedule.md describes the schedules, the lease, rollup_runs and the
// event for operators.
package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/schema"
)

// recordTimeout bounds recording a run and publishing its event, which go
// on after the run's context ended (an interrupted run is still recorded).
const recordTimeout = 30 * time.Second

// maxDue bounds [Scheduler.Due].
const maxDue = 10000

var (
	errStopped   = errors.New("the scheduler stopped")
	errLostLease = errors.New("this replica lost the leader lease")
)

// Scheduler runs the reviews of a [Job] on schedule. Create it with [New];
// [Scheduler.Run] runs the schedule, [Scheduler.RunNow] one period now.
type Scheduler struct {
	js     jetstream.JetStream
	st     *chstore.Store
	job    Job
	cfg    Config
	scheds map[schema.ReviewKind]cron.Schedule
	log    *slog.Logger
	clock  Clock

	started atomic.Bool
	serves  sync.WaitGroup // scheduled and catch-up work, waited for by Run

	mu          sync.Mutex
	busy        map[schema.ReviewKind]*Running
	owed        map[schema.ReviewKind]bool // a scheduled run was skipped for the run in its way
	stopping    bool                       // Run is ending: no new background work
	lead        *leadership                // nil unless this replica holds the lease
	holder      string                     // the lease holder last seen
	streamReady bool
}

// Running is a run in progress in this process.
type Running struct {
	// Kind is the review kind.
	Kind schema.ReviewKind
	// Period is the period being run; zero while a catch-up is still
	// reading rollup_runs.
	Period schema.ReviewPeriod
	// Trigger is what started it.
	Trigger Trigger
	// Since is when it started, on the scheduler's clock.
	Since time.Time
}

// Status is what the scheduler is doing, for health pages and tests.
type Status struct {
	// Replica is this process's name.
	Replica string
	// Leader is true while this replica holds the leader lease.
	Leader bool
	// LeaseHolder is the replica last seen holding the lease ("" when
	// unknown).
	LeaseHolder string
	// Running lists the runs in progress, by kind.
	Running []Running
}

// Due is one run of a kind's schedule: when it is due and the period it
// reviews.
type Due struct {
	// Kind is the review kind.
	Kind schema.ReviewKind
	// At is when the run is due, in the configured location.
	At time.Time
	// Period is schema.LastEnded(Kind, At).
	Period schema.ReviewPeriod
}

// New returns a scheduler for job. js publishes the events and holds the
// lease; st records the runs in rollup_runs (the migrations must have been
// applied). Nothing runs until [Scheduler.Run] or [Scheduler.RunNow].
func New(js jetstream.JetStream, st *chstore.Store, job Job, cfg Config) (*Scheduler, error) {
	switch {
	case js == nil:
		return nil, fmt.Errorf("%w: no JetStream context; the scheduler publishes events and holds its lease in NATS", ErrConfig)
	case st == nil:
		return nil, fmt.Errorf("%w: no ClickHouse store; open one with chstore.Open", ErrConfig)
	case job == nil:
		return nil, fmt.Errorf("%w: no job; pass the function that computes a review (e.g. around rollup.Run)", ErrConfig)
	}
	scheds, err := cfg.schedules()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Scheduler{
		js: js, st: st, job: job, cfg: cfg, scheds: scheds,
		log: cfg.Logger, clock: cfg.Clock,
		busy: map[schema.ReviewKind]*Running{},
		owed: map[schema.ReviewKind]bool{},
	}, nil
}

// Config returns the configuration in use, defaults applied.
func (s *Scheduler) Config() Config { return s.cfg }

// Due lists the runs of the kind's schedule due after from and up to and
// including to, oldest first (at most 10000). A kind whose spec is "off"
// has none.
func (s *Scheduler) Due(k schema.ReviewKind, from, to time.Time) []Due {
	return dueBetween(s.scheds[k], k, s.cfg.Location, from, to)
}

// Due lists the runs of the kind's schedule due after from and up to and
// including to, oldest first (at most 10000), without a [Scheduler]: for
// showing the schedule. The error is the configuration's.
func (c Config) Due(k schema.ReviewKind, from, to time.Time) ([]Due, error) {
	scheds, err := c.schedules()
	if err != nil {
		return nil, err
	}
	return dueBetween(scheds[k], k, c.withDefaults().Location, from, to), nil
}

func dueBetween(sch cron.Schedule, k schema.ReviewKind, loc *time.Location, from, to time.Time) []Due {
	if sch == nil {
		return nil
	}
	var out []Due
	for t := sch.Next(from.In(loc)); !t.IsZero() && !t.After(to) && len(out) < maxDue; t = sch.Next(t) {
		out = append(out, Due{Kind: k, At: t, Period: schema.LastEnded(k, t)})
	}
	return out
}

// NextDue returns the kind's first run due after t; false when the kind's
// spec is "off".
func (s *Scheduler) NextDue(k schema.ReviewKind, t time.Time) (Due, bool) {
	sch := s.scheds[k]
	if sch == nil {
		return Due{}, false
	}
	at := sch.Next(t.In(s.cfg.Location))
	if at.IsZero() {
		return Due{}, false
	}
	return Due{Kind: k, At: at, Period: schema.LastEnded(k, at)}, true
}

// Status reports whether this replica leads and what it is running.
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Replica: s.cfg.Replica, Leader: s.lead != nil && s.lead.ctx.Err() == nil, LeaseHolder: s.holder}
	for _, r := range s.busy {
		st.Running = append(st.Running, *r)
	}
	slices.SortFunc(st.Running, func(a, b Running) int { return kindOrder(a.Kind) - kindOrder(b.Kind) })
	return st
}

func kindOrder(k schema.ReviewKind) int { return slices.Index(schema.ReviewKinds(), k) }

// Run runs the schedule until ctx ends: it takes part in the leader
// election and, while it leads, runs every kind when its spec fires and
// catches up missed runs. When ctx ends it cancels the runs in progress
// (they are recorded as failed, interrupted), waits for them, releases the
// lease so another replica takes over at once, and returns nil. It returns
// an error only when it cannot start (the lease bucket or the event stream
// cannot be created).
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrRunning
	}
	kv, err := s.setUp(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, k := range schema.ReviewKinds() {
		if d, ok := s.NextDue(k, now); ok {
			s.log.Info("review scheduled", "kind", k, "spec", s.cfg.Spec(k), "next", d.At, "next_period", d.Period.Key())
		} else {
			s.log.Info("review not scheduled (spec off)", "kind", k)
		}
	}
	s.log.Info("scheduler started", "replica", s.cfg.Replica, "timezone", s.cfg.Location.String(),
		"look_back", s.cfg.LookBack, "lease_ttl", s.cfg.LeaseTTL)

	// Not derived from ctx's cancellation, so that the runs it interrupts
	// are recorded as "the scheduler stopped" rather than "context canceled".
	runCtx, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	var loops sync.WaitGroup
	for _, k := range schema.ReviewKinds() {
		if sch := s.scheds[k]; sch != nil {
			loops.Go(func() { s.kindLoop(runCtx, k, sch) })
		}
	}
	loops.Go(func() { s.leaseLoop(runCtx, kv) })

	<-ctx.Done()
	stop(errStopped)
	loops.Wait()
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.serves.Wait()
	s.releaseLease(kv)
	s.log.Info("scheduler stopped", "replica", s.cfg.Replica)
	return nil
}

// kindLoop waits on the clock for each time the kind's spec fires.
func (s *Scheduler) kindLoop(ctx context.Context, k schema.ReviewKind, sch cron.Schedule) {
	after := s.clock.Now()
	for {
		next := sch.Next(after.In(s.cfg.Location))
		if next.IsZero() {
			s.log.Warn("review schedule has no further runs", "kind", k, "spec", s.cfg.Spec(k))
			return
		}
		if err := s.clock.WaitUntil(ctx, next); err != nil {
			return
		}
		s.fire(k, next)
		// Runs missed while waiting (the clock jumped) are not fired one by
		// one: the fire above caught them up.
		after = later(next, s.clock.Now())
	}
}

// fire handles the kind's spec firing at t.
func (s *Scheduler) fire(k schema.ReviewKind, t time.Time) {
	p := schema.LastEnded(k, t)
	s.mu.Lock()
	lead, holder := s.lead, s.holder
	s.mu.Unlock()
	if lead == nil || lead.ctx.Err() != nil {
		s.log.Info("review due; not the leader, so not running it here", "kind", k, "period", p.Key(), "due", t,
			"replica", s.cfg.Replica, "leader", holder)
		return
	}
	s.serve(lead.ctx, k, t)
}

// serve runs, in the background and oldest first, every run of the kind
// due within the look-back with no successful run since it was due. fired
// is the due time that triggered it (its run is "schedule", the others
// "catchup"), or zero for a catch-up alone.
func (s *Scheduler) serve(ctx context.Context, k schema.ReviewKind, fired time.Time) {
	var p schema.ReviewPeriod
	trig := TriggerCatchUp
	if !fired.IsZero() {
		p, trig = schema.LastEnded(k, fired), TriggerSchedule
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return
	}
	if cur := s.busy[k]; cur != nil {
		s.owed[k] = true
		s.mu.Unlock()
		s.log.Warn("review skipped: a run of the same kind is still running in this process; it is caught up when that run ends",
			"kind", k, "period", key(p), "trigger", trig, "running_period", key(cur.Period), "running_trigger", cur.Trigger, "running_since", cur.Since)
		return
	}
	s.busy[k] = &Running{Kind: k, Period: p, Trigger: trig, Since: s.clock.Now()}
	s.serves.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.serves.Done()
		defer s.release(k)
		end := later(s.clock.Now(), fired)
		todo, err := s.pending(ctx, k, end)
		if err != nil {
			s.log.Error("cannot tell which reviews are due; retried at the next run", "kind", k, "period", key(p), "error", err)
			return
		}
		if fired.IsZero() && len(todo) == 0 {
			s.log.Info("review catch-up: nothing missed", "kind", k, "look_back", s.cfg.LookBack)
		}
		if !fired.IsZero() && !slices.ContainsFunc(todo, func(d pendingRun) bool { return d.Period.Key() == p.Key() }) {
			s.log.Info("review due, but already run successfully since it fell due", "kind", k, "period", p.Key(), "due", fired)
		}
		for _, d := range todo {
			if ctx.Err() != nil {
				return
			}
			t := TriggerCatchUp
			if d.At.Equal(fired) {
				t = TriggerSchedule
			} else {
				s.log.Info("catching up a missed review", "kind", k, "period", d.Period.Key(), "due", d.At, "reason", d.reason)
			}
			s.setRunning(k, d.Period, t)
			_, _ = s.execute(ctx, d.Period, t) // logged and recorded by execute
		}
	}()
}

// pendingRun is a due run not yet served.
type pendingRun struct {
	Due
	reason string
}

// pending lists, oldest first, the periods of the kind whose latest due
// time within (end-LookBack, end] has no successful run started at or
// after it. A run started before its due time does not count: a monthly
// review run by hand on the 3rd is run again after the deadline on the 6th.
func (s *Scheduler) pending(ctx context.Context, k schema.ReviewKind, end time.Time) ([]pendingRun, error) {
	var list []pendingRun
	index := map[string]int{}
	sch := s.scheds[k]
	if sch == nil {
		return nil, nil
	}
	for t := sch.Next(end.Add(-s.cfg.LookBack).In(s.cfg.Location)); !t.IsZero() && !t.After(end); t = sch.Next(t) {
		p := schema.LastEnded(k, t)
		if i, ok := index[p.Key()]; ok {
			list[i].At = t
			continue
		}
		index[p.Key()] = len(list)
		list = append(list, pendingRun{Due: Due{Kind: k, At: t, Period: p}})
	}
	if len(list) == 0 {
		return nil, nil
	}
	since := list[0].At
	for _, d := range list {
		if d.At.Before(since) {
			since = d.At
		}
	}
	runs, err := runsSince(ctx, s.st, k, since.Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	var out []pendingRun
	for _, d := range list {
		due := d.At.Truncate(time.Second)
		served, lastFailed := false, (*RunRecord)(nil)
		for i, r := range runs {
			if r.Period.Key() != d.Period.Key() || r.StartedAt.Before(due) {
				continue
			}
			if r.Status == StatusOK {
				served = true
				break
			}
			lastFailed = &runs[i]
		}
		if served {
			continue
		}
		if lastFailed != nil {
			d.reason = fmt.Sprintf("its run %s (started %s) failed: %s", lastFailed.RunID,
				lastFailed.StartedAt.In(s.cfg.Location).Format(time.DateTime), lastFailed.Error)
		} else {
			d.reason = fmt.Sprintf("no run since it was due at %s (the service was down, this replica was not the leader, or the run was skipped)",
				d.At.Format(time.DateTime+" MST"))
		}
		out = append(out, d)
	}
	return out, nil
}

// RunNow runs the review of p now, in the calling goroutine, for `kpp
// rollup KIND --period P` (trigger manual) and back-fills (trigger
// backfill): recorded in rollup_runs and announced like a scheduled run. It
// needs no lease. It returns the run's record; the error wraps
// [ErrOverlap] when a run of the same kind is running in this process (the
// record is then zero), or is the job's error (wrapped in [ErrPanic] or
// [ErrInterrupted] where that applies), [ErrRecord] or [ErrPublish].
func (s *Scheduler) RunNow(ctx context.Context, p schema.ReviewPeriod, trigger Trigger) (RunRecord, error) {
	if trigger == "" {
		trigger = TriggerManual
	}
	if _, err := ParseTrigger(string(trigger)); err != nil {
		return RunRecord{}, fmt.Errorf("run %s %s: %w", p.Kind, p.Key(), err)
	}
	if _, err := schema.ParseReviewKind(string(p.Kind)); err != nil {
		return RunRecord{}, fmt.Errorf("run now: %w", err)
	}
	if q, err := schema.ParseReviewPeriod(p.Kind, p.Key()); err != nil || !q.Start.Equal(p.Start) || !q.End.Equal(p.End) {
		return RunRecord{}, fmt.Errorf("run %s: period %s (%s to %s) is not a %s period; build it with schema.ParseReviewPeriod",
			p.Kind, p.Key(), p.Start, p.End, p.Kind)
	}
	if cur, ok := s.acquire(Running{Kind: p.Kind, Period: p, Trigger: trigger, Since: s.clock.Now()}); !ok {
		err := fmt.Errorf("%w: %s %s not run: %s %s (trigger %s) has been running since %s; wait for it to finish and run again",
			ErrOverlap, p.Kind, p.Key(), cur.Kind, key(cur.Period), cur.Trigger, cur.Since.In(s.cfg.Location).Format(time.DateTime))
		s.log.Warn("review skipped: a run of the same kind is still running in this process",
			"kind", p.Kind, "period", p.Key(), "trigger", trigger, "running_period", key(cur.Period), "running_trigger", cur.Trigger, "running_since", cur.Since)
		return RunRecord{}, err
	}
	defer s.release(p.Kind)
	return s.execute(ctx, p, trigger)
}

// acquire marks the kind running, or returns the run in its way.
func (s *Scheduler) acquire(r Running) (Running, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.busy[r.Kind]; cur != nil {
		return *cur, false
	}
	s.busy[r.Kind] = &r
	return r, true
}

func (s *Scheduler) setRunning(k schema.ReviewKind, p schema.ReviewPeriod, t Trigger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.busy[k]; cur != nil {
		cur.Period, cur.Trigger, cur.Since = p, t, s.clock.Now()
	}
}

// release marks the kind free. When a scheduled run was skipped for the
// run that ends, and this replica leads, the kind is caught up now.
func (s *Scheduler) release(k schema.ReviewKind) {
	s.mu.Lock()
	delete(s.busy, k)
	owed, lead := s.owed[k], s.lead
	delete(s.owed, k)
	s.mu.Unlock()
	if owed && lead != nil && lead.ctx.Err() == nil {
		s.log.Info("catching up the review skipped while another run of its kind was going", "kind", k)
		s.serve(lead.ctx, k, time.Time{})
	}
}

// key is the period's key, or "" for the zero period (a catch-up that
// has not chosen its period yet).
func key(p schema.ReviewPeriod) string {
	if p.Kind == "" {
		return ""
	}
	return p.Key()
}

// execute runs the job for p, records the run and, when it succeeded,
// publishes the event.
func (s *Scheduler) execute(ctx context.Context, p schema.ReviewPeriod, trigger Trigger) (RunRecord, error) {
	started := s.clock.Now()
	t0 := time.Now()
	rec := RunRecord{RunID: newRunID(p, started.In(s.cfg.Location)), Period: p, Trigger: trigger, Replica: s.cfg.Replica, StartedAt: started}
	log := s.log.With("kind", p.Kind, "period", p.Key(), "run_id", rec.RunID, "trigger", trigger)
	log.Info("review run started", "replica", s.cfg.Replica)

	res, err := s.call(ctx, Request{RunID: rec.RunID, Period: p, Trigger: trigger, Replica: s.cfg.Replica, Now: started}, log)
	rec.FinishedAt, rec.Duration = s.clock.Now(), time.Since(t0)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ErrPanic) {
		err = fmt.Errorf("%w (%w): %w", ErrInterrupted, context.Cause(ctx), err)
	}

	// Record and announce even when the run's context has ended: an
	// interrupted run must be recorded as failed.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err != nil {
		rec.Status, rec.Error, rec.Rules = StatusFailed, err.Error(), s.cfg.Rules
		if rerr := record(wctx, s.st, rec); rerr != nil {
			log.Error("review run failed and could not be recorded", "duration", rec.Duration, "error", err, "record_error", rerr)
			return rec, errors.Join(err, rerr)
		}
		log.Error("review run failed", "status", rec.Status, "duration", rec.Duration, "error", err)
		return rec, err
	}
	rec.Status, rec.Rows, rec.Rules = StatusOK, res.Rows, res.Rules
	rec.Green, rec.Yellow, rec.Red, rec.Unrated = res.Green, res.Yellow, res.Red, res.Unrated
	if rec.Rules == "" {
		rec.Rules = s.cfg.Rules
	}
	if rerr := record(wctx, s.st, rec); rerr != nil {
		// Not announced: without an ok row the run is caught up again, and
		// that run announces it.
		log.Error("review run succeeded but could not be recorded; it will be caught up again", "duration", rec.Duration, "rows", rec.Rows, "error", rerr)
		return rec, rerr
	}
	log.Info("review run finished", "status", rec.Status, "duration", rec.Duration, "rows", rec.Rows, "projects", res.Projects,
		"green", res.Green, "yellow", res.Yellow, "red", res.Red, "unrated", res.Unrated, "missing", res.Missing, "late", res.Late)
	if err := s.ensureStream(wctx); err != nil {
		log.Error("review-completed event not published", "error", err)
		return rec, err
	}
	if err := publish(wctx, s.js, Event(rec, res)); err != nil {
		log.Error("review-completed event not published", "error", err)
		return rec, err
	}
	return rec, nil
}

// call runs the job, turning a panic into an error wrapping [ErrPanic].
func (s *Scheduler) call(ctx context.Context, req Request, log *slog.Logger) (res Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, v)
			log.Error("review job panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	return s.job(ctx, req)
}

// setUp creates or updates the lease bucket and the reviews stream. A
// request JetStream does not answer in time (a NATS cluster electing a
// leader, or without a quorum or its peers yet) is retried with back-off
// (1 s doubling to 30 s) until ctx ends: the scheduler must not stop kpp serve, ingest
// included, for a cluster that is still forming. Other errors (a refused
// configuration) are returned at once.
func (s *Scheduler) setUp(ctx context.Context) (jetstream.KeyValue, error) {
	wait := time.Second
	for {
		kv, err := s.setUpOnce(ctx)
		if err == nil || !transient(err) || ctx.Err() != nil {
			return kv, err
		}
		s.log.Warn("scheduler start-up: NATS JetStream did not answer in time; retrying", "replica", s.cfg.Replica, "retry_in", wait, "error", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (s *Scheduler) setUpOnce(ctx context.Context) (jetstream.KeyValue, error) {
	so, err := s.cfg.Streams.For(ctx, s.js, "KV_"+LeaseBucket)
	if err != nil {
		return nil, fmt.Errorf("the leader lease: %w", err)
	}
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, LeaseBucketConfig(s.cfg.LeaseTTL, so))
	if err != nil {
		return nil, fmt.Errorf("create or update key-value bucket %s (the leader lease): %w", LeaseBucket, err)
	}
	if err := s.ensureStream(ctx); err != nil {
		return nil, err
	}
	return kv, nil
}

// jsNoPeers is JetStream's error code "no suitable peers for placement":
// on a forming cluster, the peers are still offline.
const jsNoPeers = 10005

// transient reports whether a JetStream request failed for want of an
// answer, or for want of the cluster's peers, rather than being refused.
func transient(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || (errors.As(err, &api) && api.ErrorCode == jsNoPeers)
}

func (s *Scheduler) ensureStream(ctx context.Context) error {
	s.mu.Lock()
	ready := s.streamReady
	s.mu.Unlock()
	if ready {
		return nil
	}
	if err := schema.EnsureReviewStream(ctx, s.js, s.cfg.Streams); err != nil {
		return fmt.Errorf("%w: %w", ErrPublish, err)
	}
	s.mu.Lock()
	s.streamReady = true
	s.mu.Unlock()
	return nil
}

// newRunID is kind-period-start-random, e.g.
// weekly-2025-W40-20251006T070000-3f2a9c1e: unique, and readable in logs.
func newRunID(p schema.ReviewPeriod, started time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%s-%s-%s", p.Kind, p.Key(), started.Format("20060102T150405"), hex.EncodeToString(b))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
