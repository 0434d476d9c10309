package replay

import "errors"

// Sentinel errors; callers use errors.Is.
var (
	// ErrNotFound: a requested dead-letter sequence is not in the stream.
	ErrNotFound = errors.New("dead-letter entry not found")
	// ErrRequest: the request selects nothing or combines options that do
	// not go together.
	ErrRequest = errors.New("invalid replay request")
	// ErrConfig is wrapped by Config.Validate errors.
	ErrConfig = errors.New("invalid replay configuration")
	// ErrPublish: JetStream did not store a replayed message; what was
	// replayed before is in the result, and replaying again is safe.
	ErrPublish = errors.New("replay publish failed")
)
