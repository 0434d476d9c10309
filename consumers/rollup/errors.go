package rollup

import "errors"

// Sentinel errors; callers use errors.Is. The wrapping messages name the
// period, the database and what to do.
var (
	// ErrFuturePeriod is returned for a month that has not started yet.
	ErrFuturePeriod = errors.New("period has not started")
	// ErrNoProjects is returned when the database has no registered project
	// to roll up.
	ErrNoProjects = errors.New("no registered projects")
	// ErrNotComputed is returned by [Load] when the month has no stored
	// results.
	ErrNotComputed = errors.New("no monthly rollup stored")
)
