package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// Trigger says what started a run; it is stored in rollup_runs.trigger.
type Trigger string

// The triggers.
const (
	// TriggerSchedule: the kind's cron schedule fired.
	TriggerSchedule Trigger = "schedule"
	// TriggerCatchUp: a run that was due while the service was down, this
	// replica was not the leader, or the due run failed or was skipped.
	TriggerCatchUp Trigger = "catchup"
	// TriggerManual: `kpp rollup KIND --period P`.
	TriggerManual Trigger = "manual"
	// TriggerBackfill: `kpp rollup KIND --from P1 --to P2`.
	TriggerBackfill Trigger = "backfill"
)

// Triggers returns every trigger, in the order of the rollup_runs enum.
func Triggers() []Trigger {
	return []Trigger{TriggerSchedule, TriggerCatchUp, TriggerManual, TriggerBackfill}
}

// ParseTrigger accepts schedule, catchup, manual or backfill.
func ParseTrigger(s string) (Trigger, error) {
	for _, t := range Triggers() {
		if s == string(t) {
			return t, nil
		}
	}
	return "", fmt.Errorf("trigger %q: expected schedule, catchup, manual or backfill", s)
}

// Request is what a [Job] is asked to do: compute and store one review.
type Request struct {
	// RunID identifies the run; store it with the results (dispatch_*.run_id)
	// so they can be joined with rollup_runs.
	RunID string
	// Period is the period to review; its Kind says which review.
	Period schema.ReviewPeriod
	// Trigger is what started the run.
	Trigger Trigger
	// Replica is the process running it.
	Replica string
	// Now is the scheduler clock's time at the start of the run: pass it as
	// the rollup's "now" (for the monthly review it decides which reports
	// are missing).
	Now time.Time
}

// Job computes and stores the review of one period, replacing what was
// stored for it before. The scheduler calls it for scheduled, catch-up,
// manual and backfill runs. It should honour ctx: the context ends when the
// scheduler stops or loses the leader lease. A panic is recovered and the
// run recorded as failed.
//
// cmd/kpp passes a closure around rollup.Run; the scheduler does not know
// how a review is computed.
type Job func(ctx context.Context, r Request) (Result, error)

// Result is what a successful [Job] reports: recorded in rollup_runs and
// published in the review-completed event. Leave a figure zero when the
// job does not compute it.
type Result struct {
	// Rows is the number of rows the job stored.
	Rows int64
	// Projects is the number of projects on the board; Reported, Missing
	// (未报送) and Late (迟报) count their reports of the month due.
	Projects, Reported, Missing, Late int
	// Green, Yellow, Red and Unrated count the projects by status.
	Green, Yellow, Red, Unrated int
	// NewlyRed (新晋红榜) and Recovered (摘牌) count the changes since the
	// previous review of the same kind.
	NewlyRed, Recovered int
	// MilestonesDue, MilestonesOverdue and MilestonesSlipped count the
	// milestone alerts: due within the look-ahead days, overdue, slipped
	// since the previous review.
	MilestonesDue, MilestonesOverdue, MilestonesSlipped int
	// PeriodCompletedWan, YTDCompletedWan and AnnualPlanWan are the
	// portfolio's totals, 万元.
	PeriodCompletedWan, YTDCompletedWan, AnnualPlanWan decimal.Decimal
	// CompletionPct is the portfolio's investment completion, percent (nil
	// when no project is rated); TimeProgressPct the time progress, percent.
	CompletionPct   *decimal.Decimal
	TimeProgressPct decimal.Decimal
	// Rules is the rating rule used, as JSON, stored in rollup_runs.rules.
	// Empty means [Config.Rules].
	Rules string
}
