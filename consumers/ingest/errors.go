package ingest

import (
	"errors"
)

// Sentinel errors; callers use errors.Is. The errors that wrap them say
// which value was wrong and what is expected.
var (
	// ErrConfig is wrapped by every error of [Config.Validate].
	ErrConfig = errors.New("invalid ingest configuration")
	// ErrRunning is returned by [Ingester.Run] when the ingester is already
	// running. Start a second [Ingester] for another replica.
	ErrRunning = errors.New("ingester is already running")
)
