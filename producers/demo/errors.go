package demo

import "errors"

// Sentinel errors; callers use errors.Is. The wrapping messages name the
// value that was wrong and what was expected.
var (
	// ErrConfig is wrapped by errors about a [Config].
	ErrConfig = errors.New("invalid demo configuration")
	// ErrSeed is wrapped by errors about the embedded seed-projects.json.
	ErrSeed = errors.New("invalid demo seed data")
)
