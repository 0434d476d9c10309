package rollup

import "errors"

// Sentinel errors; callers use errors.Is. The wrapping messages name the
// review, the database and what to do.
var (
	// ErrFuturePeriod is returned for a monthly review of a month that has
	// not started yet.
	ErrFuturePeriod = errors.New("period has not started")
	// ErrPeriodNotOver is returned for a weekly or ten-day review whose
	// period has not ended: it reads the data received by the period's
	// end, which is not all in yet.
	ErrPeriodNotOver = errors.New("period has not ended")
	// ErrNoProjects is returned when the database has no registered project
	// to roll up.
	ErrNoProjects = errors.New("no registered projects")
	// ErrNotComputed is returned by [Load] when the review has no stored
	// results.
	ErrNotComputed = errors.New("review not computed")
	// ErrRunIDUsed is returned by [Run] for a RunOptions.RunID that an
	// earlier run of the same review used: a run's rows are told apart
	// from the current board's by their run id.
	ErrRunIDUsed = errors.New("run id already used")
)
