// Package passhash hashes secrets — department tokens, readers' passwords —
// with argon2id (RFC 9106) and checks them in constant time. A hash is
// stored in the PHC string format with its own parameters and a random
// 16-byte salt:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<hash, base64>
//
// so changing the parameters affects only hashes made afterwards.
package passhash

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id parameters of new hashes.
type Params struct {
	// Time is the number of passes. Default 2.
	Time uint32
	// MemoryKiB is the memory per hash in KiB. Default 19456 (19 MiB).
	MemoryKiB uint32
	// Threads is the parallelism. Default 1.
	Threads uint8
}

// Default are OWASP's minimum parameters for argon2id (19 MiB, 2 passes,
// 1 lane): some 30-60 ms per hash on one core.
var Default = Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// Validate reports parameters out of range.
func (p Params) Validate() error {
	switch {
	case p.Time < 1:
		return fmt.Errorf("argon2id Time is 0; expected at least 1 pass")
	case p.Threads < 1:
		return fmt.Errorf("argon2id Threads is 0; expected at least 1")
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > 4<<20:
		return fmt.Errorf("argon2id MemoryKiB %d is outside %d-%d KiB", p.MemoryKiB, 8*uint32(p.Threads), 4<<20)
	}
	return nil
}

const (
	saltBytes = 16
	keyBytes  = 32
)

var phcEncoding = base64.RawStdEncoding

// Hash returns the PHC string of an argon2id hash of secret with a new
// random salt read from r (crypto/rand.Reader outside tests).
func Hash(r io.Reader, p Params, secret string) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("read random bytes for a salt: %w", err)
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, keyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		phcEncoding.EncodeToString(salt), phcEncoding.EncodeToString(key)), nil
}

// Parsed is a parsed argon2id PHC string.
type Parsed struct {
	params Params
	salt   []byte
	key    []byte
}

// Parse reads a PHC string made by [Hash], or says what is wrong with it.
func Parse(s string) (Parsed, error) {
	var h Parsed
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, fmt.Errorf("not an argon2id hash ($argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>)")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return h, fmt.Errorf("argon2 version %q; expected v=%d", parts[2], argon2.Version)
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.params.MemoryKiB, &h.params.Time, &threads); err != nil ||
		h.params.Time < 1 || threads < 1 || threads > 255 || h.params.MemoryKiB < 8*threads || h.params.MemoryKiB > 4<<20 {
		return h, fmt.Errorf("argon2id parameters %q; expected m=<8-%d KiB>,t=<passes ≥ 1>,p=<lanes 1-255>", parts[3], 4<<20)
	}
	h.params.Threads = uint8(threads)
	var err error
	if h.salt, err = phcEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, fmt.Errorf("argon2id salt %q; expected at least 8 bytes in unpadded base64", parts[4])
	}
	if h.key, err = phcEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return h, fmt.Errorf("argon2id hash is not at least 16 bytes in unpadded base64")
	}
	return h, nil
}

// Matches reports, in constant time, whether secret hashes to h. It costs
// one argon2id hash with h's parameters.
func (h Parsed) Matches(secret string) bool {
	key := argon2.IDKey([]byte(secret), h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}
