package natsauth

import "errors"

// Sentinel errors; callers use errors.Is. The errors that wrap them say
// which user or setting was wrong and what is expected.
var (
	// ErrConfig is wrapped by [Config.Validate] and [ServerConfig] errors.
	ErrConfig = errors.New("invalid NATS authorization configuration")
	// ErrPassword is wrapped when a password cannot be generated or hashed.
	ErrPassword = errors.New("NATS password")
)
