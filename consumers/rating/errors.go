package rating

import "errors"

// Sentinel errors; callers use errors.Is. The wrapping messages name the
// field, the value and what was expected.
var (
	// ErrBadRules is wrapped by every error from [Rules.Validate].
	ErrBadRules = errors.New("invalid rating rules")
	// ErrBadInput is wrapped by errors about a project's inputs to [Rules.Rate].
	ErrBadInput = errors.New("invalid rating input")
)
