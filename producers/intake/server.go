package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// The prefixes the handler serves: the JSON API and the web pages.
const (
	apiPrefix = "/api/v1/"
	webPrefix = "/intake/"
)

// Server serves the department intake: the JSON API under /api/v1/ and
// the web pages under /intake/. It is safe for concurrent use.
type Server struct {
	js       jetstream.JetStream
	cfg      Config
	log      *slog.Logger
	pub      *submit.Publisher // publishes
	dry      *submit.Publisher // validates only
	receipts *receipts
	sign     signer
	limit    *limiter
	pages    *pages
}

// New prepares the intake: it checks cfg, creates or updates the kpp
// streams and the receipts bucket, and parses the embedded pages.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Server, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: a JetStream context is required", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{js: js, cfg: cfg, log: cfg.Logger.With("component", "intake"),
		limit: newLimiter(cfg.Limits.RatePerSecond, cfg.Limits.RateBurst)}
	var err error
	if s.pub, err = submit.New(js, cfg.publisherConfig(false)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if s.dry, err = submit.New(js, cfg.publisherConfig(true)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	key := cfg.SessionKey
	if key == nil {
		key = make([]byte, MinSessionKeyBytes)
		if _, err := io.ReadFull(cfg.Random, key); err != nil {
			return nil, fmt.Errorf("intake: session key: %w", err)
		}
	}
	s.sign = signer{key: key}
	if err := schema.EnsureStreams(ctx, js, cfg.Streams); err != nil {
		return nil, fmt.Errorf("%w: prepare streams: %w", ErrNATS, err)
	}
	if s.receipts, err = openReceipts(ctx, js, cfg.Streams, cfg.Random); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the HTTP handler of the API (/api/v1/...) and the web
// pages (/intake/...). Mount it for both prefixes, e.g.
// mux.Handle("/api/v1/", h) and mux.Handle("/intake/", h).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/reports", s.apiReports)
	mux.HandleFunc("POST /api/v1/uploads", s.apiUpload)
	mux.HandleFunc("GET /api/v1/receipts/{id}", s.apiReceipt)
	mux.HandleFunc("GET /api/v1/projects", s.apiProjects)
	mux.HandleFunc("POST /api/v1/projects", s.apiRegister)
	mux.HandleFunc("POST /api/v1/projects/uploads", s.apiProjectsUpload)
	mux.HandleFunc("GET /api/v1/projects/{project}/reports", s.apiHistory)
	mux.HandleFunc("POST /api/v1/imports", s.apiImport)
	mux.HandleFunc("/api/v1/", s.apiNotFound)

	mux.HandleFunc("GET /intake/{$}", s.webHome)
	mux.HandleFunc("GET /intake/login", s.webLoginPage)
	mux.HandleFunc("POST /intake/login", s.webLogin)
	mux.HandleFunc("POST /intake/logout", s.webLogout)
	mux.HandleFunc("GET /intake/projects", s.webProjects)
	mux.HandleFunc("GET /intake/projects/{project}/report", s.webForm)
	mux.HandleFunc("POST /intake/projects/{project}/report", s.webSubmit)
	mux.HandleFunc("GET /intake/projects/{project}/history", s.webHistory)
	mux.HandleFunc("GET /intake/register", s.webRegisterForm)
	mux.HandleFunc("POST /intake/register", s.webRegister)
	mux.HandleFunc("GET /intake/register/upload", s.webProjectsUploadPage)
	mux.HandleFunc("POST /intake/register/upload", s.webProjectsUpload)
	mux.HandleFunc("GET /intake/projects.xlsx", s.webProjectsTemplate)
	mux.HandleFunc("GET /intake/projects/{project}/register", s.webRegisterForm)
	mux.HandleFunc("POST /intake/projects/{project}/register", s.webRegister)
	mux.HandleFunc("GET /intake/receipts/{id}", s.webReceipt)
	mux.HandleFunc("GET /intake/upload", s.webUploadPage)
	mux.HandleFunc("POST /intake/upload", s.webUpload)
	mux.HandleFunc("GET /intake/template.xlsx", s.webTemplate)
	mux.Handle("GET /intake/static/", http.StripPrefix("/intake/", http.FileServerFS(staticFS)))
	mux.HandleFunc("/intake/", s.webNotFound)
	return securityHeaders(mux)
}

// securityHeaders sets the headers every answer carries: no framing, no
// content sniffing, scripts and styles from this server only, and no
// caching of department data.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
		if r.URL.Path != "/intake/static/style.css" {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// Error codes of the JSON API (docs/api.md lists them with their status).
const (
	codeUnauthorized   = "unauthorized"
	codeForbidden      = "forbidden"
	codeNotFound       = "not_found"
	codeTooLarge       = "payload_too_large"
	codeTooManyRows    = "too_many_rows"
	codeInvalid        = "invalid"
	codeKeyReused      = "idempotency_key_reused"
	codeKeyBusy        = "idempotency_key_in_progress"
	codeKeyMissing     = "missing_idempotency_key"
	codeKeyInvalid     = "invalid_idempotency_key"
	codeMalformed      = "malformed_json"
	codeBadRequest     = "bad_request"
	codeRateLimited    = "rate_limited"
	codeConflict       = "conflict"
	codeNotImplemented = "not_configured"
	codeUnavailable    = "unavailable"
	codeHistoryTooLong = "history_too_long"
	codeInternal       = "internal"
)

// APIError is the "error" member of every JSON error answer.
type APIError struct {
	// Code is a stable identifier, e.g. "invalid" or "rate_limited".
	Code      string `json:"code"`
	MessageEn string `json:"message_en"`
	MessageZh string `json:"message_zh"`
}

// ErrorBody is the JSON body of an error answer: the error and, for
// refused reports, every problem found (nothing was published).
type ErrorBody struct {
	Error APIError `json:"error"`
	// Errors are the field-level problems: file ("request" or the
	// uploaded file), line (the report's position from 1, or the sheet
	// row), field, value, rule and the messages.
	Errors []submit.Problem `json:"errors,omitempty"`
	// Notices are remarks of the sheet reader on an upload (a GBK file
	// converted), shown with its problems.
	Notices []Notice `json:"notices,omitempty"`
	// Receipt is the stored receipt when an idempotency key was reused
	// with another request.
	Receipt *Receipt `json:"receipt,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, en, zh string) {
	writeJSON(w, status, ErrorBody{Error: APIError{Code: code, MessageEn: en, MessageZh: zh}})
}

// failure answers an unexpected error: 503 for NATS, 500 otherwise.
func (s *Server) failure(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	if errors.Is(err, ErrHistoryTooLong) {
		writeError(w, http.StatusServiceUnavailable, codeHistoryTooLong,
			fmt.Sprintf("the stored history needed for this request has more than %d messages, the most the intake reads at once; nothing was recorded; ask the operator to raise kpp serve --max-history", s.cfg.Limits.MaxHistoryMessages),
			fmt.Sprintf("本请求需读取的填报历史超过 %d 条（单次读取上限），未保存任何内容；请联系管理员调高 kpp serve --max-history", s.cfg.Limits.MaxHistoryMessages))
		return
	}
	if errors.Is(err, ErrNATS) {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, codeUnavailable,
			"the message store (NATS JetStream) did not answer; nothing new was recorded for this request unless its receipt says so; retry with the same Idempotency-Key",
			"消息存储（NATS JetStream）暂不可用；请使用相同的幂等键（Idempotency-Key）重试")
		return
	}
	writeError(w, http.StatusInternalServerError, codeInternal, "internal error; the operator can find it in the logs", "服务器内部错误，请联系管理员查看日志")
}

// reader reads stored messages within the server's history limits.
func (s *Server) reader() reader {
	return reader{js: s.js, max: s.cfg.Limits.MaxHistoryMessages, timeout: s.cfg.Limits.HistoryTimeout}
}

// tooLarge reports whether err comes from a body over its limit.
func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// sizeText renders a byte limit for people: "1 MiB (1048576 bytes)".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB (" + strconv.FormatInt(n, 10) + " bytes)"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB (" + strconv.FormatInt(n, 10) + " bytes)"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func sha256Hex(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{0})
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// today is the current date in Asia/Shanghai.
func (s *Server) today() time.Time {
	t := s.cfg.Now().In(schema.Location())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, schema.Location())
}

// verify checks a token and the department id it gives.
func (s *Server) verify(token string) (Department, error) {
	d, err := s.cfg.Auth.Verify(token)
	if err != nil {
		return Department{}, err
	}
	if !schema.ValidIdentifier(d.ID) {
		return Department{}, fmt.Errorf("%w: the verifier returned department id %q, which is not an identifier", ErrUnauthorized, d.ID)
	}
	return d, nil
}
