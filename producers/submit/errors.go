package submit

import "errors"

// Sentinel errors; callers use errors.Is. The errors that wrap them say
// which file, batch or setting was wrong.
var (
	// ErrInvalid is wrapped by [*InvalidError]: some records had problems.
	ErrInvalid = errors.New("invalid records")
	// ErrUnsupportedFormat is returned for a file that is neither JSON Lines
	// nor CSV.
	ErrUnsupportedFormat = errors.New("unsupported file format")
	// ErrConfig is wrapped by [Config.Validate] errors.
	ErrConfig = errors.New("invalid submit configuration")
	// ErrPublish is wrapped when JetStream refuses or does not acknowledge a
	// batch; what was acknowledged before is in the receipt, and submitting
	// the same files again is safe (message ids deduplicate).
	ErrPublish = errors.New("publish to JetStream failed")
)
