package schema

import "errors"

// Sentinel errors; callers use errors.Is. Messages wrapping them say which
// value was wrong and what was expected.
var (
	// ErrUnknownKind is returned for an event kind or schema id that version 1 does not define.
	ErrUnknownKind = errors.New("unknown event kind")
	// ErrBadSubject is returned for a subject outside the kpp.v1 scheme.
	ErrBadSubject = errors.New("subject is not a kpp update subject")
	// ErrInvalid is wrapped by every [*ValidationError].
	ErrInvalid = errors.New("invalid event")
)
