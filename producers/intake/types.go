package intake

import (
	"io"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// Department is the department a token belongs to: the id used in subjects
// and events (qy-fgj) and its name for people (庆元县发展和改革局).
type Department struct {
	// ID is a schema identifier, e.g. "qy-fgj".
	ID string `json:"id"`
	// Name is the department's name, e.g. "庆元县发展和改革局"; may be empty.
	Name string `json:"name,omitempty"`
	// Credential names the credential that signed in (for
	// producers/credentials, the token id). A web session remembers it and
	// ends once an [CredentialChecker] says it is no longer current.
	Credential string `json:"-"`
}

// Authenticator verifies a department token. Verify returns the token's
// department, or an error when the token is unknown, rotated or malformed
// (wrap [ErrUnauthorized], or return a [*TokenRefusal] to give the person
// a specific message): 401. Any other error is the server's problem: 503.
// It must be safe for concurrent use. producers/credentials' Store fits
// through [AuthFunc] (docs/intake.md has the adapter).
type Authenticator interface {
	Verify(token string) (Department, error)
}

// CredentialChecker is implemented by an [Authenticator] that can tell
// whether the credential a web session signed in with is still the
// department's current one. With it, rotating or disabling a token ends
// the sessions signed in with the old one at their next request.
type CredentialChecker interface {
	// Current reports whether credential is still valid for department
	// dept. An error is the server's problem.
	Current(dept, credential string) (bool, error)
}

// TokenRefusal is an [Authenticator]'s refusal of a token with a
// message for people, in English and Chinese (it must never repeat the
// secret). It wraps [ErrUnauthorized] and Err.
type TokenRefusal struct {
	MessageEn, MessageZh string
	// Err is the verifier's own error, e.g. credentials.ErrUnknownToken.
	Err error
}

// Error returns the English message.
func (e *TokenRefusal) Error() string { return e.MessageEn }

// Unwrap makes errors.Is(err, ErrUnauthorized) and errors.Is(err, Err)
// true.
func (e *TokenRefusal) Unwrap() []error { return []error{ErrUnauthorized, e.Err} }

// AuthFunc adapts a function to [Authenticator].
type AuthFunc func(token string) (Department, error)

// Verify implements [Authenticator].
func (f AuthFunc) Verify(token string) (Department, error) { return f(token) }

// SheetReader reads an uploaded spreadsheet (.xlsx or .csv; name is the
// uploaded file name) into the records of one department, at most maxRows
// data rows. Problems of content (a formula cell, a bad amount, too many
// rows, not a spreadsheet) belong in the returned Input's Problems and
// records, with sheet, row and column; an error is for a reader failure and
// is shown to the clerk as the file's problem. producers/sheet's ReadUpload
// fits with a short adapter (docs/intake.md).
type SheetReader func(name string, r io.Reader, dept string, maxRows int) (*Sheet, error)

// Sheet is what a [SheetReader] read from one file.
type Sheet struct {
	// Input holds the records (Line = the sheet's row) and the problems
	// found while reading.
	Input *submit.Input
	// Notices say what the reader did besides reading (a GBK file
	// converted, rows skipped); they are shown with the receipt or the
	// problems.
	Notices []Notice
	// Locate, when set, rewrites a problem found after reading (an unknown
	// project, another department's, a year-to-date below last month) to
	// name the sheet's cell, as the reader names its own.
	Locate func(submit.Problem) submit.Problem
}

// TemplateWriter writes the department's Excel template for a month
// (producers/sheet's Template, adapted).
type TemplateWriter func(w io.Writer, in TemplateInput) error

// TemplateInput is what a department's template is filled with.
type TemplateInput struct {
	// Department is the signed-in department.
	Department Department
	// Period is the month the template is for.
	Period schema.Period
	// Projects are the department's registered projects, by id.
	Projects []TemplateProject
}

// TemplateProject is one pre-filled row of the template.
type TemplateProject struct {
	// ID is the project id, NameZh its Chinese name.
	ID     string
	NameZh string
	// AnnualPlanWan is the plan of the period's year in 万元; nil when the
	// project has none.
	AnnualPlanWan *decimal.Decimal
	// LastYTDWan is the previous month's year-to-date at its latest
	// revision; nil when it was not reported (or the period is January).
	LastYTDWan *decimal.Decimal
}
