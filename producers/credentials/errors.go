package credentials

import "errors"

// Sentinel errors; callers use errors.Is. The errors that wrap them name
// the department, token id or file and say what is expected. A secret is
// never part of an error.
var (
	// ErrMalformedToken: the text given is not shaped like a token
	// (kpp_<12 hex digits>_<43 characters>). Returned inside a *TokenError.
	ErrMalformedToken = errors.New("malformed token")
	// ErrUnknownToken: the token is well formed but is not a current
	// token: never issued, replaced by a rotation, its department removed,
	// or its secret does not match. Returned inside a *TokenError.
	ErrUnknownToken = errors.New("unknown token")
	// ErrDisabled: the token is right but its department is disabled.
	// Returned inside a *TokenError.
	ErrDisabled = errors.New("department disabled")
	// ErrUnknownDepartment: no department with that id in the file.
	ErrUnknownDepartment = errors.New("unknown department")
	// ErrDepartmentExists: Add of a department that is already in the file.
	ErrDepartmentExists = errors.New("department already exists")
	// ErrInvalidDepartment: a department id or name that cannot be used.
	ErrInvalidDepartment = errors.New("invalid department")
	// ErrInsecureFile: the departments file may be written by users other
	// than its owner.
	ErrInsecureFile = errors.New("insecure departments file")
	// ErrFileFormat: the departments file is not valid JSON of the
	// expected format.
	ErrFileFormat = errors.New("departments file format")
	// ErrConfig is wrapped by [Config.Validate] errors.
	ErrConfig = errors.New("invalid credentials configuration")
)

// TokenError is the error of [Store.Verify] for a token that does not
// authenticate: a person's explanation in English and Chinese, and the
// sentinel (ErrMalformedToken, ErrUnknownToken or ErrDisabled) it wraps.
// An HTTP server answers 401 with MessageZh / MessageEn. It never holds the
// secret; TokenID is set when the token was well formed enough to have one.
type TokenError struct {
	// Err is ErrMalformedToken, ErrUnknownToken or ErrDisabled.
	Err error
	// TokenID is the token's id, or "" when it could not be read.
	TokenID string
	// MessageEn and MessageZh say what is wrong and what to do.
	MessageEn, MessageZh string
}

func (e *TokenError) Error() string { return "credentials: " + e.Err.Error() + ": " + e.MessageEn }

// Unwrap returns the sentinel.
func (e *TokenError) Unwrap() error { return e.Err }
