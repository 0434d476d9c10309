package submit

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/keyproject/kpp/schema"
)

// MaxBatchSize is the most messages a JetStream server accepts in one
// atomic batch by default, and the most [Config.BatchSize] may be.
const MaxBatchSize = 1000

// Config configures a [Publisher]. The zero value is usable; every field
// documents its default.
type Config struct {
	// BatchSize is the most records per atomic batch. Default 1000
	// ([MaxBatchSize]): a file of up to 1000 records is stored all or
	// nothing; a larger file is stored in batches of this size, each all or
	// nothing.
	BatchSize int
	// SkipInvalid publishes the valid records of a file that also has
	// invalid ones (the invalid ones are still reported). Default false: a
	// file with any problem publishes nothing. A file whose header or CSV
	// syntax is wrong publishes nothing either way.
	SkipInvalid bool
	// DryRun validates and returns the receipt without publishing anything
	// or creating streams.
	DryRun bool
	// Source is the source recorded on events given to
	// [Publisher.PublishEvents] that have none. Default "cli". Records read
	// from files default to "csv" or "jsonl".
	Source string
	// Streams is passed to [schema.EnsureStreams]. Default: one replica,
	// the default duplicate window.
	Streams schema.StreamOptions
	// AssumeStreams skips [schema.EnsureStreams]: the streams exist (kpp
	// serve creates them). Set it for a department's NATS user, which may
	// publish on its subjects but neither manage nor read the stream
	// (docs/security.md); duplicates are then counted without comparing
	// them with the stored copy, so a changed report resent with the same
	// revision is a duplicate, not a conflict.
	AssumeStreams bool
	// Now returns the current time, against which periods and dates are
	// checked (not in the future). Default time.Now.
	Now func() time.Time
	// Logger receives one line per published batch. Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.BatchSize == 0 {
		c.BatchSize = MaxBatchSize
	}
	if c.Source == "" {
		c.Source = "cli"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports a setting out of range, after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.BatchSize < 1 || c.BatchSize > MaxBatchSize {
		return fmt.Errorf("%w: BatchSize %d is outside 1-%d (the JetStream server's atomic batch limit)", ErrConfig, c.BatchSize, MaxBatchSize)
	}
	if !schema.ValidIdentifier(c.Source) {
		return fmt.Errorf("%w: Source %q is not a source name; expected lower-case letters such as cli, demo, api", ErrConfig, c.Source)
	}
	return nil
}
