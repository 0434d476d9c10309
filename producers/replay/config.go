package replay

import (
	"fmt"
	"log/slog"
	"time"
)

// Config configures a [Replayer]. The zero value is usable.
type Config struct {
	// Now returns the current time, against which a fixed payload's period
	// and dates are checked. Default time.Now.
	Now func() time.Time
	// Logger receives a line per replayed entry. Default slog.Default().
	Logger *slog.Logger
	// FetchBatch is how many entries List reads per request. Default 256.
	FetchBatch int
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.FetchBatch == 0 {
		c.FetchBatch = 256
	}
	return c
}

// Validate reports a setting out of range, after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.FetchBatch < 1 || c.FetchBatch > 10000 {
		return fmt.Errorf("%w: FetchBatch %d is outside 1-10000", ErrConfig, c.FetchBatch)
	}
	return nil
}
