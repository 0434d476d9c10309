package ingest

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/keyproject/kpp/schema"
)

// Defaults of [Config].
const (
	// DefaultDurable is the name of the durable consumer every replica shares.
	DefaultDurable = "kpp-ingest"
	// DefaultBatchSize is the most rows written by one insert. Measured on
	// ClickHouse 18.16 (2 cores): inserting investment_reports rows costs
	// about 8 ms per batch plus 4 µs per row, so 5000 rows take about 30 ms
	// (≈160k rows/s) and larger batches gain little; see BenchmarkInsertBatch.
	DefaultBatchSize = 5000
	// DefaultFlushInterval is how long a partial batch waits for more
	// messages before it is written.
	DefaultFlushInterval = 500 * time.Millisecond
	// DefaultMaxDeliver is how many times JetStream delivers a message that
	// is never acknowledged before it gives up on it.
	DefaultMaxDeliver = 10
	// DefaultAckWait is how long JetStream waits for the ack (or an
	// in-progress signal) of a delivery before it redelivers.
	DefaultAckWait = 30 * time.Second
	// DefaultRetryMin is the first wait before retrying a failed write.
	DefaultRetryMin = 200 * time.Millisecond
	// DefaultRetryMax caps the wait between retries of a failed write.
	DefaultRetryMax = 15 * time.Second
	// DefaultStoreTimeout bounds one attempt to store a batch.
	DefaultStoreTimeout = 60 * time.Second
	// DefaultShutdownGrace is how long a batch being written when Run's
	// context ends may take to finish.
	DefaultShutdownGrace = 10 * time.Second
)

// defaultBackOffFactors give the default BackOff as multiples of AckWait:
// with AckWait 30s, redeliveries wait 30s, 1m, 2m, 5m and then 10m.
var defaultBackOffFactors = []time.Duration{1, 2, 4, 10, 20}

// Config configures an [Ingester]. The zero value of a field means its
// default; Validate reports values that cannot work.
type Config struct {
	// Durable is the durable pull consumer on the KPP_UPDATES stream. Every
	// replica uses the same name and so shares the work. Default
	// "kpp-ingest".
	Durable string
	// BatchSize is the most rows written by one insert (and the most
	// messages held unacknowledged by one replica). Default 5000.
	BatchSize int
	// FlushInterval is how long a partial batch waits for more messages
	// before it is written. From 50ms to AckWait/3. Default 500ms.
	FlushInterval time.Duration
	// MaxDeliver is how many times JetStream delivers a message that is
	// never acknowledged (only a crashed or stopped replica fails to ack);
	// -1 is unlimited. Default 10.
	MaxDeliver int
	// AckWait is how long JetStream waits for the ack of a first delivery
	// before redelivering it. While a batch is held (a slow or failing
	// insert) the ingester sends in-progress signals every AckWait/3, so a
	// held message is not redelivered. Default 30s.
	AckWait time.Duration
	// DepartmentName, when set, returns the registered name of a
	// department (kpp serve: from the departments file; ok false for a
	// department it does not know). A registration whose department_name
	// is not its department's registered name is rejected (rule
	// consistency), so that no department lists its projects under
	// another's name, whatever path it publishes by.
	DepartmentName func(id string) (name string, ok bool)
	// BackOff is how long JetStream waits for the ack of the 2nd, 3rd, …
	// delivery before delivering again; the last value repeats. Each is at
	// least AckWait. Default AckWait × (1, 2, 4, 10, 20): 30s, 1m, 2m, 5m,
	// 10m. len(BackOff) must be below MaxDeliver.
	BackOff []time.Duration
	// MaxAckPending is the most messages delivered and not yet acknowledged
	// across all replicas. At least BatchSize. Default 4 × BatchSize.
	MaxAckPending int
	// RetryMin is the first wait before retrying a batch whose write to
	// ClickHouse or the dead-letter stream failed; it doubles per attempt.
	// Default 200ms.
	RetryMin time.Duration
	// RetryMax caps the wait between retries. Default 15s.
	RetryMax time.Duration
	// StoreTimeout bounds one attempt to store a batch. Default 60s.
	StoreTimeout time.Duration
	// ShutdownGrace is how long the batch held when Run's context ends may
	// take to be written; what is not written by then is returned to
	// JetStream (nak) for redelivery. Default 10s.
	ShutdownGrace time.Duration
	// Streams tunes the streams created at start (schema.EnsureStreams).
	Streams schema.StreamOptions
	// Logger receives progress and problems. Default: discard.
	Logger *slog.Logger
}

// WithDefaults returns the configuration with every zero field set to its
// default, as [New] uses it.
func (c Config) WithDefaults() Config {
	if c.Durable == "" {
		c.Durable = DefaultDurable
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.BackOff == nil {
		c.BackOff = make([]time.Duration, len(defaultBackOffFactors))
		for i, f := range defaultBackOffFactors {
			c.BackOff[i] = c.AckWait * f
		}
		if c.MaxDeliver > 0 && len(c.BackOff) >= c.MaxDeliver {
			c.BackOff = c.BackOff[:max(c.MaxDeliver-1, 0)]
		}
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 4 * c.BatchSize
	}
	if c.RetryMin == 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = DefaultStoreTimeout
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first setting that cannot work, after applying the
// defaults. The error wraps [ErrConfig].
func (c Config) Validate() error {
	c = c.WithDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case !schema.ValidIdentifier(c.Durable):
		return bad("durable name %q: expected lower-case letters, digits, '-' or '_', e.g. %s", c.Durable, DefaultDurable)
	case c.BatchSize < 1:
		return bad("batch size %d: expected at least 1 (default %d)", c.BatchSize, DefaultBatchSize)
	case c.AckWait < time.Second:
		return bad("ack wait %s: expected at least 1s (default %s)", c.AckWait, DefaultAckWait)
	case c.FlushInterval < 50*time.Millisecond || c.FlushInterval > c.AckWait/3:
		return bad("flush interval %s: expected 50ms to ack wait/3 = %s (default %s)", c.FlushInterval, c.AckWait/3, DefaultFlushInterval)
	case c.MaxDeliver < -1 || c.MaxDeliver == 1:
		return bad("max deliver %d: expected at least 2, or -1 for unlimited (default %d)", c.MaxDeliver, DefaultMaxDeliver)
	case c.MaxDeliver > 0 && len(c.BackOff) >= c.MaxDeliver:
		return bad("back-off has %d steps: expected fewer than max deliver (%d)", len(c.BackOff), c.MaxDeliver)
	case c.MaxAckPending < c.BatchSize:
		return bad("max ack pending %d: expected at least the batch size %d (default 4 × batch size)", c.MaxAckPending, c.BatchSize)
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return bad("retry back-off %s to %s: expected 0 < min ≤ max (default %s to %s)", c.RetryMin, c.RetryMax, DefaultRetryMin, DefaultRetryMax)
	case c.StoreTimeout <= 0:
		return bad("store timeout %s: expected a positive duration (default %s)", c.StoreTimeout, DefaultStoreTimeout)
	case c.ShutdownGrace < 0:
		return bad("shutdown grace %s: expected a duration ≥ 0 (default %s)", c.ShutdownGrace, DefaultShutdownGrace)
	}
	for i, d := range c.BackOff {
		if d < c.AckWait {
			return bad("back-off step %d is %s: expected at least the ack wait %s (a shorter wait would redeliver a batch still being written)", i+1, d, c.AckWait)
		}
	}
	return nil
}
