package intake

import "errors"

// Sentinel errors; callers use errors.Is. The errors that wrap them say
// which setting, department or project was wrong.
var (
	// ErrConfig is wrapped by [Config.Validate] errors.
	ErrConfig = errors.New("invalid intake configuration")
	// ErrUnauthorized is what an [Authenticator] wraps (or returns as a
	// [*TokenRefusal]) when a token is unknown, rotated, disabled or
	// malformed: the request gets 401. Any other Verify error means the
	// tokens cannot be checked now (the departments file is unreadable):
	// 503, and the error goes to the log only.
	ErrUnauthorized = errors.New("department token not accepted")
	// ErrNATS wraps a failure to read from or write to NATS JetStream
	// (projects, history, receipts); the request gets 503 and can be
	// retried with the same idempotency key.
	ErrNATS = errors.New("NATS JetStream request failed")
	// ErrHistoryTooLong is returned when a read of the history would take
	// more stored messages than [Limits.MaxHistoryMessages]; nothing was
	// read. The request gets 503 history_too_long: retrying does not
	// help, the operator raises the limit.
	ErrHistoryTooLong = errors.New("history longer than the intake reads at once")
)
