package intake

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// Default limits. Each is a field of [Limits]; docs/api.md lists them.
const (
	// DefaultMaxBodyBytes is the largest JSON request or form post: 1 MiB,
	// room for a few thousand reports.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxUploadBytes is the largest uploaded sheet: 10 MiB.
	DefaultMaxUploadBytes = 10 << 20
	// DefaultMaxRows is the most reports in one request or uploaded sheet.
	DefaultMaxRows = 5000
	// DefaultRatePerSecond is the sustained requests per second allowed to
	// one department's credential.
	DefaultRatePerSecond = 5
	// DefaultRateBurst is the requests one credential may make at once
	// before the rate applies.
	DefaultRateBurst = 20
	// DefaultSessionTTL is how long a web sign-in lasts.
	DefaultSessionTTL = 8 * time.Hour
	// DefaultMaxHistoryMessages is the most stored messages one read of
	// the history takes: one project's reports (the history page and
	// GET /api/v1/projects/{project}/reports), its milestone updates, or
	// the department's registrations or reports of all its projects (the
	// projects page, the template, a submission of many projects).
	DefaultMaxHistoryMessages = 20000
	// DefaultHistoryTimeout bounds one read of the history.
	DefaultHistoryTimeout = 10 * time.Second
	// MinSessionKeyBytes is the shortest accepted [Config.SessionKey].
	MinSessionKeyBytes = 32
)

// Limits bound what one department can send. The zero value means the
// defaults above.
type Limits struct {
	// MaxBodyBytes bounds a JSON request body or a form post. Default
	// [DefaultMaxBodyBytes] (1 MiB). A larger body is refused with 413.
	MaxBodyBytes int64
	// MaxUploadBytes bounds an uploaded sheet (the whole multipart body).
	// Default [DefaultMaxUploadBytes] (10 MiB). A larger upload is refused
	// with 413.
	MaxUploadBytes int64
	// MaxRows bounds the reports of one request and the rows of one
	// uploaded sheet (passed to the [SheetReader]). Default
	// [DefaultMaxRows] (5000).
	MaxRows int
	// RatePerSecond is the sustained rate of requests allowed per
	// department credential. Default [DefaultRatePerSecond] (5). A request
	// over the rate is refused with 429 and Retry-After.
	RatePerSecond float64
	// RateBurst is how many requests a credential may make at once.
	// Default [DefaultRateBurst] (20).
	RateBurst int
	// MaxHistoryMessages bounds the stored messages one read of the
	// history may take (see [DefaultMaxHistoryMessages], 20000): a
	// project's reports, or a department's registrations or reports. A
	// subject with more is refused with [ErrHistoryTooLong] (503
	// history_too_long) before anything is read.
	MaxHistoryMessages int
	// HistoryTimeout bounds one read of the history, waiting for one of
	// the [MaxConcurrentReads] slots included. Default
	// [DefaultHistoryTimeout] (10 s); beyond it the request gets 503.
	HistoryTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxUploadBytes == 0 {
		l.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if l.MaxRows == 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.RatePerSecond == 0 {
		l.RatePerSecond = DefaultRatePerSecond
	}
	if l.RateBurst == 0 {
		l.RateBurst = DefaultRateBurst
	}
	if l.MaxHistoryMessages == 0 {
		l.MaxHistoryMessages = DefaultMaxHistoryMessages
	}
	if l.HistoryTimeout == 0 {
		l.HistoryTimeout = DefaultHistoryTimeout
	}
	return l
}

// Config configures a [Server]. Auth is required; every other field
// documents its default.
type Config struct {
	// Auth verifies department tokens (the Authorization: Bearer header of
	// the API, the sign-in form of the web pages). Required.
	Auth Authenticator
	// Admins verifies administrator tokens, which alone may import
	// history through POST /api/v1/imports (e.g. [CredentialsAdmins]).
	// Default nil: the endpoint answers 501.
	Admins AdminAuthenticator
	// Sheets reads uploaded .xlsx and .csv sheets. Default nil: uploads
	// are refused with 501 and the upload page says so.
	Sheets SheetReader
	// Template writes the department's Excel template. Default nil: the
	// download link is hidden and /intake/template.xlsx answers 501.
	Template TemplateWriter
	// ProjectSheets reads uploaded registration workbooks (项目登记表,
	// e.g. [ProjectSheetReaderOf]). Default nil: /intake/register/upload
	// says so and POST /api/v1/projects/uploads answers 501.
	ProjectSheets ProjectSheetReader
	// ProjectsTemplate writes the registration workbook (e.g.
	// [SheetProjectsTemplate]). Default nil: /intake/projects.xlsx
	// answers 501 and its link is hidden.
	ProjectsTemplate ProjectsTemplateWriter
	// SessionKey signs the web session cookie and the CSRF tokens with
	// HMAC-SHA256; at least 32 bytes. Give every replica the same key so
	// that a sign-in works on all of them. Default: a random key per
	// process, so sessions end when the process restarts.
	SessionKey []byte
	// SessionTTL is how long a web sign-in lasts. Default
	// [DefaultSessionTTL] (8 hours).
	SessionTTL time.Duration
	// SecureCookies marks the session cookie Secure (sent over HTTPS
	// only). Default false: kpp serve listens on plain HTTP behind the
	// operator's TLS proxy; set it when the proxy serves HTTPS, which it
	// should. Requests that arrive over TLS get Secure cookies anyway.
	SecureCookies bool
	// Limits bound request sizes, rows and rates; see [Limits].
	Limits Limits
	// Streams is passed to [schema.EnsureStreams] and sizes the receipts
	// bucket. Default: the replicas the streams have (one for new ones),
	// the default duplicate window.
	Streams schema.StreamOptions
	// Now returns the current time: periods in the future are refused
	// against it, receipts carry it, sessions and the rate limit run on it.
	// Default time.Now.
	Now func() time.Time
	// Logger receives one line per accepted or rejected submission and per
	// refused request. Default slog.Default().
	Logger *slog.Logger
	// Random is the source of session nonces, form idempotency keys and
	// the default session key. Default crypto/rand.Reader.
	Random io.Reader
}

func (c Config) withDefaults() Config {
	c.Limits = c.Limits.withDefaults()
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Random == nil {
		c.Random = rand.Reader
	}
	return c
}

// Validate reports a missing or out-of-range setting, after defaults are
// applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	l := c.Limits
	switch {
	case c.Auth == nil:
		return fmt.Errorf("%w: Auth is required (the department token verifier, e.g. credentials.Store)", ErrConfig)
	case c.SessionKey != nil && len(c.SessionKey) < MinSessionKeyBytes:
		return fmt.Errorf("%w: SessionKey has %d bytes; expected at least %d random bytes (or none for a per-process key)", ErrConfig, len(c.SessionKey), MinSessionKeyBytes)
	case c.SessionTTL < time.Minute:
		return fmt.Errorf("%w: SessionTTL %s is shorter than a minute", ErrConfig, c.SessionTTL)
	case l.MaxBodyBytes < 1024:
		return fmt.Errorf("%w: Limits.MaxBodyBytes %d is below 1024 bytes", ErrConfig, l.MaxBodyBytes)
	case l.MaxUploadBytes < 1024:
		return fmt.Errorf("%w: Limits.MaxUploadBytes %d is below 1024 bytes", ErrConfig, l.MaxUploadBytes)
	case l.MaxRows < 1:
		return fmt.Errorf("%w: Limits.MaxRows %d is below 1", ErrConfig, l.MaxRows)
	case l.RatePerSecond < 0:
		return fmt.Errorf("%w: Limits.RatePerSecond %g is negative", ErrConfig, l.RatePerSecond)
	case l.RateBurst < 1:
		return fmt.Errorf("%w: Limits.RateBurst %d is below 1", ErrConfig, l.RateBurst)
	case l.MaxHistoryMessages < 1:
		return fmt.Errorf("%w: Limits.MaxHistoryMessages %d is below 1", ErrConfig, l.MaxHistoryMessages)
	case l.HistoryTimeout < 100*time.Millisecond:
		return fmt.Errorf("%w: Limits.HistoryTimeout %s is shorter than 100ms", ErrConfig, l.HistoryTimeout)
	}
	return nil
}

// publisherConfig is the submit configuration of the intake's publishers.
func (c Config) publisherConfig(dryRun bool) submit.Config {
	return submit.Config{Source: "api", Streams: c.Streams, Now: c.Now, Logger: c.Logger, DryRun: dryRun}
}
