package credentials

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

const (
	saltBytes = 16
	keyBytes  = 32
)

var phcEncoding = base64.RawStdEncoding

// hashSecret returns the PHC string of an argon2id hash of secret with a
// new random salt: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.
func hashSecret(r io.Reader, p Argon2Params, secret string) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("read random bytes for a salt: %w", err)
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, keyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		phcEncoding.EncodeToString(salt), phcEncoding.EncodeToString(key)), nil
}

// phc is a parsed argon2id PHC string.
type phc struct {
	params Argon2Params
	salt   []byte
	key    []byte
}

func parsePHC(s string) (phc, error) {
	var h phc
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

// matches reports, in constant time, whether secret hashes to h.
func (h phc) matches(secret string) bool {
	key := argon2.IDKey([]byte(secret), h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}
