package natsauth

import (
	"fmt"
	"strings"

	"github.com/keyproject/kpp/schema"
)

// DefaultServiceUser is the NATS user of kpp serve (ingest, intake,
// rollups).
const DefaultServiceUser = "kpp-service"

// Department is one department's NATS user: its id (also the user name)
// and the bcrypt hash of its password.
type Department struct {
	// ID is the department id, e.g. "qy-jtj" ([schema.ValidIdentifier]).
	ID string
	// PasswordHash is the bcrypt hash of the department's NATS password, as
	// made by [NewPassword] or [HashPassword] ("$2a$11$…"). Required.
	PasswordHash string
}

// Config lists the NATS users to generate. Only Departments and
// ServicePassword must be set.
type Config struct {
	// Departments are the department users, one per department. A
	// department without a NATS password is left out by the caller (it
	// reports through kpp serve only).
	Departments []Department
	// ServiceUser is the user name of kpp serve. Default
	// [DefaultServiceUser] ("kpp-service").
	ServiceUser string
	// ServicePassword is the password of the service user, plain or as a
	// bcrypt hash. Required. A plain password is hashed before it is
	// written or given to a server: the generated configuration never holds
	// a plain password. kpp serve connects with the plain one.
	ServicePassword string
}

func (c Config) withDefaults() Config {
	if c.ServiceUser == "" {
		c.ServiceUser = DefaultServiceUser
	}
	return c
}

// Validate reports a department id that cannot be a NATS user and subject
// token, a missing or malformed password hash, a department listed twice,
// or a department named like the service user.
func (c Config) Validate() error {
	c = c.withDefaults()
	if !validUser(c.ServiceUser) {
		return fmt.Errorf("%w: service user %q: expected letters, digits, '-' or '_'", ErrConfig, c.ServiceUser)
	}
	if c.ServicePassword == "" {
		return fmt.Errorf("%w: the service user %s has no password; set one (kpp serve connects with it)", ErrConfig, c.ServiceUser)
	}
	seen := map[string]bool{}
	for i, d := range c.Departments {
		switch {
		case !schema.ValidIdentifier(d.ID):
			return fmt.Errorf("%w: department %d: id %q is not a department id; expected lower-case letters, digits, '-' or '_' (at most 64), e.g. qy-jtj", ErrConfig, i+1, d.ID)
		case d.ID == c.ServiceUser:
			return fmt.Errorf("%w: department %q has the name of the service user; rename the service user (ServiceUser)", ErrConfig, d.ID)
		case seen[d.ID]:
			return fmt.Errorf("%w: department %q is listed twice; expected one user per department", ErrConfig, d.ID)
		case !isBcrypt(d.PasswordHash):
			return fmt.Errorf("%w: department %q: password hash %q is not a bcrypt hash; expected \"$2a$…\" as made by kpp dept add (a plain password must not be stored)", ErrConfig, d.ID, shorten(d.PasswordHash))
		}
		seen[d.ID] = true
	}
	return nil
}

// validUser accepts user names that need no quoting in any NATS tool.
func validUser(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// shorten keeps an error message short when a bad value is long; a value
// that is not a hash may be a plain password, so at most its first four
// characters are shown.
func shorten(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + "…"
}
