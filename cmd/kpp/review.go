package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/schedule"
	"github.com/keyproject/kpp/schema"
)

// rulesFlags selects the rating rules file; see docs/dispatch.md.
type rulesFlags struct {
	Rules string `name:"rules" env:"KPP_RULES" type:"path" help:"Rating rules file (TOML; 'kpp rules default' prints the documented defaults). Empty: the defaults."`
}

func (f rulesFlags) load() (rating.Rules, error) {
	if f.Rules == "" {
		return rating.DefaultRules(), nil
	}
	return rating.LoadRules(f.Rules)
}

// scheduleFlags are the review schedules; see docs/schedule.md.
type scheduleFlags struct {
	Weekly   string        `name:"schedule-weekly" env:"KPP_SCHEDULE_WEEKLY" default:"0 7 * * 1" help:"Cron spec of the weekly analysis (周分析) of the week just ended; 'off' disables it."`
	Dekad    string        `name:"schedule-dekad" env:"KPP_SCHEDULE_DEKAD" default:"0 7 1,11,21 * *" help:"Cron spec of the ten-day dispatch (旬调度) of the ten days just ended; 'off' disables it."`
	Monthly  string        `name:"schedule-monthly" env:"KPP_SCHEDULE_MONTHLY" default:"0 7 6 * *" help:"Cron spec of the monthly review (月例会) of the previous month (after the 5th-of-month deadline); 'off' disables it."`
	LookBack time.Duration `name:"schedule-lookback" env:"KPP_SCHEDULE_LOOKBACK" default:"840h" help:"How far back missed reviews are caught up at start (840h = 35 days)."`
	Timezone string        `name:"schedule-timezone" env:"KPP_SCHEDULE_TIMEZONE" default:"Asia/Shanghai" help:"Time zone of the cron specs."`
	LeaseTTL time.Duration `name:"schedule-lease-ttl" env:"KPP_SCHEDULE_LEASE_TTL" default:"15s" help:"Leader lease TTL in NATS KV: a dead leader's lease expires after this and another replica takes over. Same on every replica."`
}

func (f scheduleFlags) config(rules rating.Rules, log *slog.Logger) (schedule.Config, error) {
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil {
		return schedule.Config{}, fmt.Errorf("--schedule-timezone %q: %w", f.Timezone, err)
	}
	return schedule.Config{
		Location: loc, WeeklySpec: f.Weekly, DekadSpec: f.Dekad, MonthlySpec: f.Monthly,
		LookBack: f.LookBack, LeaseTTL: f.LeaseTTL, Rules: rules.JSON(), Logger: log,
	}, nil
}

// reviewWaitFlags bound how long a review waits for ingest; see
// docs/schedule.md.
type reviewWaitFlags struct {
	ReviewWaitIngest time.Duration `name:"review-wait-ingest" env:"KPP_REVIEW_WAIT_INGEST" default:"10m" help:"Before a review, wait at most this long for ingest to store every update received until the review started, so that none is counted missing; the review fails (and is caught up later) if ingest is still behind. 0: do not wait."`
}

// waiter returns the wait before a review for ingest's durable consumer,
// or nil when it is off.
func (f reviewWaitFlags) waiter(js jetstream.JetStream, durable string, log *slog.Logger) func(context.Context) error {
	if f.ReviewWaitIngest <= 0 {
		return nil
	}
	return func(ctx context.Context) error {
		_, err := ingest.WaitCaughtUp(ctx, js, ingest.CatchUp{Durable: durable, Timeout: f.ReviewWaitIngest, Logger: log})
		return err
	}
}

// reviewJob computes a review with rollup.Run for the scheduler, which
// records the run in rollup_runs and publishes its summary. It first calls
// wait (unless nil): ingest must have stored what was received before the
// review started. A period before any project was registered (a new
// installation catching up) is an empty review, not a failure: the run is
// recorded with no rows.
func reviewJob(st *chstore.Store, rules rating.Rules, log *slog.Logger, wait func(context.Context) error) schedule.Job {
	return func(ctx context.Context, r schedule.Request) (schedule.Result, error) {
		if wait != nil {
			if err := wait(ctx); err != nil {
				return schedule.Result{}, err
			}
		}
		sum, err := rollup.Run(ctx, st, r.Period, rules, rollup.RunOptions{RunID: r.RunID, Now: r.Now})
		if errors.Is(err, rollup.ErrNoProjects) {
			log.Info("no project registered before the cut-off: nothing to review", "kind", r.Period.Kind, "period", r.Period.Key(), "run_id", r.RunID)
			return schedule.Result{Rules: rules.JSON()}, nil
		}
		if err != nil {
			return schedule.Result{}, err
		}
		if sum.DropErr != nil {
			log.Warn("review stored; the rows of its earlier runs are left for the next run to drop", "kind", r.Period.Kind,
				"period", r.Period.Key(), "run_id", r.RunID, "error", sum.DropErr)
		}
		return schedule.Result{
			Rows: int64(sum.RowsWritten()), Projects: sum.Projects, Reported: sum.Reported,
			Missing: sum.Missing, Late: sum.Late, Green: sum.Green, Yellow: sum.Yellow, Red: sum.Red, Unrated: sum.Unrated,
			NewlyRed: sum.NewlyRed, Recovered: sum.Recovered,
			MilestonesDue: sum.Due, MilestonesOverdue: sum.Overdue, MilestonesSlipped: sum.Slipped,
			PeriodCompletedWan: sum.PeriodCompletedWan, YTDCompletedWan: sum.YTDCompletedWan, AnnualPlanWan: sum.AnnualPlanWan,
			CompletionPct: sum.CompletionPct, TimeProgressPct: sum.TimeProgressPct, Rules: rules.JSON(),
		}, nil
	}
}

// describeRun is the one-line summary of a finished run.
func describeRun(p schema.ReviewPeriod, rec schedule.RunRecord) string {
	return fmt.Sprintf("%s %s (%s): %d projects — 红 %d, 黄 %d, 绿 %d, 未评级 %d; %d rows in %s (run %s)",
		p.Kind.Label(), p.Key(), p.Label(), rec.Green+rec.Yellow+rec.Red+rec.Unrated, rec.Red, rec.Yellow, rec.Green, rec.Unrated,
		rec.Rows, rec.Duration.Round(time.Millisecond), rec.RunID)
}
