package natsauth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"

	"github.com/nats-io/nats.go"
	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the bcrypt cost of generated hashes, the cost
// `nats server passwd` uses: 0.1-0.2 s per check, paid by the server
// once per connection.
const BcryptCost = 11

// passwordBytes is the entropy of a generated password: 24 random bytes,
// 32 URL-safe base64 characters.
const passwordBytes = 24

// NewPassword returns a new random password (32 URL-safe characters, from
// crypto/rand) and its bcrypt hash. Show the password once, store only the
// hash.
func NewPassword() (password, hash string, err error) {
	b := make([]byte, passwordBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("%w: read random bytes: %w", ErrPassword, err)
	}
	password = base64.RawURLEncoding.EncodeToString(b)
	hash, err = HashPassword(password)
	if err != nil {
		return "", "", err
	}
	return password, hash, nil
}

// HashPassword returns the bcrypt hash of a password, in the form
// nats-server accepts in place of a password.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", fmt.Errorf("%w: the password is empty; expected a password to hash", ErrPassword)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("%w: hash: %w", ErrPassword, err)
	}
	return string(h), nil
}

// bcryptRE is a complete bcrypt hash of the kind nats-server recognises.
var bcryptRE = regexp.MustCompile(`^\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}$`)

// IsPasswordHash reports whether s is a complete bcrypt hash
// ("$2a$11$" and 53 characters), which nats-server accepts in place of a
// password.
func IsPasswordHash(s string) bool { return bcryptRE.MatchString(s) }

func isBcrypt(s string) bool { return IsPasswordHash(s) }

func hashIfPlain(p string) (string, error) {
	if isBcrypt(p) {
		return p, nil
	}
	return HashPassword(p)
}

// DepartmentConnectOptions are the nats.Connect options of a department's
// client: its user and password, and the inbox prefix its permissions
// allow ([InboxPrefix]). Without the prefix a JetStream publish is stored
// but its acknowledgement is refused, and the client sees a timeout.
func DepartmentConnectOptions(dept, password string) []nats.Option {
	return []nats.Option{
		nats.UserInfo(dept, password),
		nats.CustomInboxPrefix(InboxPrefix(dept)),
	}
}

// ServiceConnectOptions are the nats.Connect options of kpp serve: the
// service user (empty: [DefaultServiceUser]) and its plain password.
func ServiceConnectOptions(user, password string) []nats.Option {
	if user == "" {
		user = DefaultServiceUser
	}
	return []nats.Option{nats.UserInfo(user, password)}
}
