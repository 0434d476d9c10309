package schedule

import "errors"

// Sentinel errors; callers use errors.Is. The errors that wrap them say
// which kind, period or setting was wrong and what is expected.
var (
	// ErrConfig is wrapped by every error of [Config.Validate] and [New].
	ErrConfig = errors.New("invalid schedule configuration")
	// ErrRunning is returned by [Scheduler.Run] when it is already running.
	ErrRunning = errors.New("scheduler is already running")
	// ErrOverlap is returned by [Scheduler.RunNow] when a run of the same
	// kind is still running in this process; the run is skipped.
	ErrOverlap = errors.New("a run of the same review kind is still running")
	// ErrPanic wraps the value of a job that panicked; the run is recorded
	// as failed with it.
	ErrPanic = errors.New("review job panicked")
	// ErrInterrupted is wrapped when a run was cancelled before its job
	// finished: the scheduler stopped or lost the leader lease.
	ErrInterrupted = errors.New("review run interrupted")
	// ErrRecord is wrapped when a run could not be recorded in rollup_runs.
	ErrRecord = errors.New("could not record the review run in rollup_runs")
	// ErrPublish is wrapped when the review-completed event could not be
	// published; the run itself is stored and recorded as ok.
	ErrPublish = errors.New("could not publish the review-completed event")
	// ErrBadRange is wrapped by [Periods] for a range that cannot be
	// backfilled.
	ErrBadRange = errors.New("bad period range")
)
