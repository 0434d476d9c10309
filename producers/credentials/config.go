package credentials

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/keyproject/kpp/internal/passhash"
	"github.com/keyproject/kpp/schema"
)

// DefaultPath is where the departments file is by default, relative to the
// working directory (beside the embedded NATS server's data in .kpp).
const DefaultPath = ".kpp/departments.json"

// EnvFile is the environment variable cmd/kpp reads the file's path from
// (flag --file).
const EnvFile = "KPP_DEPARTMENTS_FILE"

// Argon2Params are the argon2id parameters of new token hashes. Each hash
// records its own parameters, so changing them affects only tokens issued
// afterwards.
type Argon2Params = passhash.Params

// DefaultArgon2 are the default parameters: OWASP's minimum for argon2id
// (19 MiB, 2 passes, 1 lane): some 30-60 ms per hash on one core.
var DefaultArgon2 = passhash.Default

// Config configures a [Store]. Only Path is usually set.
type Config struct {
	// Path of the departments file. Default [DefaultPath]. A missing file
	// is an empty store; the first Add creates it (and its directory, mode
	// 0700).
	Path string
	// Argon2 are the parameters of new token hashes. Default
	// [DefaultArgon2].
	Argon2 Argon2Params
	// MaxConcurrentHashes bounds the argon2id hashes computed at once by
	// Verify (each takes Argon2.MemoryKiB of memory). Default 2.
	MaxConcurrentHashes int
	// Now returns the current time, recorded as created_at, rotated_at….
	// Default time.Now, in Asia/Shanghai.
	Now func() time.Time
	// Rand is the source of token ids, secrets, salts and NATS passwords.
	// Default crypto/rand.Reader. Tests only may replace it.
	Rand io.Reader
	// Logger receives reloads and warnings (a file readable by others).
	// Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.Argon2 == (Argon2Params{}) {
		c.Argon2 = DefaultArgon2
	}
	if c.MaxConcurrentHashes == 0 {
		c.MaxConcurrentHashes = 2
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports a setting out of range, after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	a := c.Argon2
	switch {
	case a.Time < 1:
		return fmt.Errorf("%w: Argon2.Time is 0; expected at least 1 pass", ErrConfig)
	case a.MemoryKiB < 8*uint32(max(a.Threads, 1)) || a.MemoryKiB > 4<<20:
		return fmt.Errorf("%w: Argon2.MemoryKiB %d is outside %d-%d KiB", ErrConfig, a.MemoryKiB, 8*uint32(max(a.Threads, 1)), 4<<20)
	case a.Threads < 1:
		return fmt.Errorf("%w: Argon2.Threads is 0; expected at least 1", ErrConfig)
	case c.MaxConcurrentHashes < 1:
		return fmt.Errorf("%w: MaxConcurrentHashes %d; expected at least 1", ErrConfig, c.MaxConcurrentHashes)
	}
	return nil
}

func (c Config) now() time.Time { return c.Now().In(schema.Location()).Truncate(time.Second) }
