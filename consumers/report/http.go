package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// Config configures the HTTP handler. The zero value is valid.
type Config struct {
	// Logger receives a line per failed request (server errors at error
	// level, client errors at debug level). Default: slog.Default().
	Logger *slog.Logger
	// Timeout bounds the database work of one request. Default 30s.
	Timeout time.Duration
	// Accounts, when set, closes every page and download (all but
	// /healthz) to anyone not signed in: a browser is sent to the sign-in
	// page (/signin) and gets a session cookie; a script authenticates
	// each request with HTTP Basic. kpp serve always sets it (unless
	// --public-reports). Nil: the pages are open.
	Accounts Accounts
	// SessionKey signs the session cookies (32 bytes or more; the same on
	// every replica). Default: a random key per handler (sign-ins end at
	// restart).
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// SecureCookies marks the session cookie Secure (HTTPS).
	SecureCookies bool
	// Recompute, when set, gives a signed-in leader a 重新计算 button on
	// every review page (and on a review not computed yet), which POSTs to
	// /reports/{kind}/{period}/recompute. It needs Accounts: without
	// sign-in no one is a leader.
	Recompute Recomputer
	// RecomputeTimeout bounds one recompute, the wait for ingest included.
	// Default 15m.
	RecomputeTimeout time.Duration
}

// DefaultTimeout is the default of Config.Timeout.
const DefaultTimeout = 30 * time.Second

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.RecomputeTimeout == 0 {
		c.RecomputeTimeout = DefaultRecomputeTimeout
	}
	return c
}

// Validate checks the configuration after defaults.
func (c Config) Validate() error {
	if c.Timeout < 0 {
		return fmt.Errorf("%w: report handler timeout %s is negative; expected a positive duration such as 30s (0 means the default %s)",
			ErrInvalidConfig, c.Timeout, DefaultTimeout)
	}
	if n := len(c.SessionKey); n > 0 && n < 32 {
		return fmt.Errorf("%w: report session key has %d bytes; expected at least 32", ErrInvalidConfig, n)
	}
	if c.SessionTTL < 0 {
		return fmt.Errorf("%w: report session lifetime %s is negative", ErrInvalidConfig, c.SessionTTL)
	}
	if c.RecomputeTimeout < 0 {
		return fmt.Errorf("%w: report recompute timeout %s is negative", ErrInvalidConfig, c.RecomputeTimeout)
	}
	if c.Recompute != nil && c.Accounts == nil {
		return fmt.Errorf("%w: the recompute button needs the sign-in (Accounts): only a signed-in leader may recompute", ErrInvalidConfig)
	}
	return nil
}

// handler serves the reports.
type handler struct {
	st  *chstore.Store
	cfg Config
}

// NewHandler returns the HTTP handler of the stored reviews, for kpp serve
// to mount (at / or below a prefix with http.StripPrefix; every link it
// writes is relative):
//
//	GET /                               index of the stored reviews by kind, newest first
//	GET /reports/{kind}/{period}        the review as a printable HTML page
//	GET /reports/{kind}/{period}.{ext}  a download: csv, xlsx, md, txt (table) or html
//	GET /healthz                        200 "ok" when ClickHouse answers a ping, else 503
//	GET /signin, POST /signin, /signout with Config.Accounts: the sign-in (every other page needs it)
//	POST /reports/{kind}/{period}/recompute  with Config.Recompute: a leader's 重新计算 (403 for a reader)
//
// kind is weekly, dekad or monthly; period is the key (2025-W39,
// 2025-09-D2, 2025-09). A malformed key is 400; an unknown kind or format,
// or a review not computed, is 404 with a page that says what exists and
// which command computes the review.
func NewHandler(st *chstore.Store, cfg Config) (http.Handler, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: report handler: no store (open one with chstore.Open)", ErrInvalidConfig)
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &handler{st: st, cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.index)
	mux.HandleFunc("GET /reports/{kind}/{file}", h.report)
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /", h.notFound)
	if cfg.Recompute != nil {
		mux.HandleFunc("POST /reports/{kind}/{period}/recompute", h.recompute)
	}
	if cfg.Accounts == nil {
		return mux, nil
	}
	a, err := newAuth(h, cfg)
	if err != nil {
		return nil, err
	}
	return a.handler(mux), nil
}

// formatOfExt maps a download's extension to its format.
var formatOfExt = map[string]string{"csv": FormatCSV, "xlsx": FormatXLSX, "md": FormatMarkdown, "txt": FormatTable, "html": FormatHTML}

// downloadExts are the extensions, in the order the pages list them.
var downloadExts = []string{"xlsx", "csv", "md", "txt", "html"}

func (h *handler) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.cfg.Timeout)
}

// indexKinds is the order of the index: the monthly review first.
var indexKinds = []schema.ReviewKind{schema.ReviewMonthly, schema.ReviewDekad, schema.ReviewWeekly}

type indexPage struct {
	Total int
	Kinds []indexKind
}

type indexKind struct {
	Kind    schema.ReviewKind
	Label   string
	Example string
	Reviews []indexReview
}

type indexReview struct {
	Key, Label, Href string
	Downloads        []link
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	periods, err := rollup.ListComputed(ctx, h.st)
	if err != nil {
		h.serverError(w, r, "list the stored reviews", err)
		return
	}
	page := indexPage{Total: len(periods)}
	for _, k := range indexKinds {
		ik := indexKind{Kind: k, Label: k.Label(), Example: schema.LastEnded(k, time.Now()).Key()}
		for _, p := range periods {
			if p.Kind != k {
				continue
			}
			rv := indexReview{Key: p.Key(), Label: p.Label(), Href: reportPath(p)}
			for _, ext := range downloadExts[:3] {
				rv.Downloads = append(rv.Downloads, link{Href: reportPath(p) + "." + ext, Label: strings.ToUpper(ext)})
			}
			ik.Reviews = append(ik.Reviews, rv)
		}
		page.Kinds = append(page.Kinds, ik)
	}
	h.page(w, r, http.StatusOK, "index.html", page)
}

func (h *handler) report(w http.ResponseWriter, r *http.Request) {
	kindName, file := r.PathValue("kind"), r.PathValue("file")
	kind, err := schema.ParseReviewKind(kindName)
	if err != nil {
		h.problem(w, r, http.StatusNotFound, "没有这种报告", fmt.Sprintf("报告类型 %q 不存在：应为 weekly（周分析）、dekad（旬调度）或 monthly（月例会）。", kindName), "")
		return
	}
	key, format := file, FormatHTML
	if i := strings.LastIndexByte(file, '.'); i >= 0 {
		ext := file[i+1:]
		f, ok := formatOfExt[ext]
		if !ok {
			h.problem(w, r, http.StatusNotFound, "没有这种格式",
				fmt.Sprintf("格式 %q 不存在：可下载 .%s，或去掉扩展名查看网页。", ext, strings.Join(downloadExts, "、.")), "")
			return
		}
		key, format = file[:i], f
	}
	p, err := schema.ParseReviewPeriod(kind, key)
	if err != nil {
		h.problem(w, r, http.StatusBadRequest, "期间格式不正确",
			fmt.Sprintf("%s的期间 %q 格式不正确：%v。", kind.Label(), key, err), "")
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	rv, err := Open(ctx, h.st, p)
	if errors.Is(err, rollup.ErrNotComputed) {
		if at, empty, eerr := rollup.EmptyRun(ctx, h.st, p); eerr == nil && empty {
			h.notComputed(w, r, p, "本期榜单为空",
				fmt.Sprintf("%s %s（%s）已于%s计算：截至本期末未收到任何项目登记或报送，榜单为空。", p.Label(), kind.Label(), p.Key(), minute(at)))
			return
		}
		h.notComputed(w, r, p, "尚未计算", fmt.Sprintf("%s %s（%s）尚无计算结果。", p.Label(), kind.Label(), p.Key()))
		return
	}
	if err != nil {
		h.serverError(w, r, "load the review", err)
		return
	}
	var buf bytes.Buffer
	if format == FormatHTML {
		nav := &pageNav{index: "../../"}
		if h.canRecompute(r) {
			nav.recompute = recomputeHref(p)
		}
		for _, ext := range downloadExts[:4] {
			l := link{Href: url.PathEscape(p.Key()) + "." + ext, Label: downloadLabel(ext)}
			nav.links = append(nav.links, l)
			if ext == "xlsx" || ext == "csv" {
				nav.full = append(nav.full, l)
			}
		}
		err = rv.renderHTML(ctx, &buf, nav)
	} else {
		err = rv.RenderContext(ctx, &buf, format)
	}
	if err != nil {
		h.serverError(w, r, "render the review", err)
		return
	}
	w.Header().Set("Content-Type", ContentType(format))
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if strings.Contains(file, ".") {
		w.Header().Set("Content-Disposition", rv.ContentDisposition(format))
	}
	http.ServeContent(w, r, "", rv.ComputedAt, bytes.NewReader(buf.Bytes()))
}

func downloadLabel(ext string) string {
	switch ext {
	case "xlsx":
		return "Excel（XLSX）"
	case "csv":
		return "CSV"
	case "md":
		return "Markdown"
	case "txt":
		return "文本"
	}
	return strings.ToUpper(ext)
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), min(h.cfg.Timeout, 5*time.Second))
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.st.Ping(ctx); err != nil {
		h.cfg.Logger.Error("report health check failed", "path", r.URL.Path, "database", h.st.Database(), "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "clickhouse: ping database %s: %v\n", h.st.Database(), err)
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.problem(w, r, http.StatusNotFound, "页面不存在",
		fmt.Sprintf("没有页面 %s。报告的地址形如 reports/monthly/2025-09、reports/dekad/2025-09-D2、reports/weekly/2025-W39。", r.URL.Path), "")
}

// problemPage is the error page.
type problemPage struct {
	Status            int
	StatusText, Title string
	Message, Command  string
	IndexHref         string
	// Recompute is the action of a leader's 重新计算 button ("" for none).
	Recompute string
}

// notComputed is the 404 page of a review with no stored board, with the
// command that computes it and, for a leader, the button.
func (h *handler) notComputed(w http.ResponseWriter, r *http.Request, p schema.ReviewPeriod, title, message string) {
	page := problemPage{Status: http.StatusNotFound, StatusText: http.StatusText(http.StatusNotFound), Title: title,
		Message: message, Command: fmt.Sprintf("kpp rollup %s --period %s", p.Kind, p.Key()), IndexHref: indexHref(r.URL.Path)}
	if h.canRecompute(r) && !p.End.After(time.Now()) {
		page.Recompute = recomputeHref(p)
	}
	h.cfg.Logger.Debug("report request refused", "path", r.URL.Path, "status", page.Status, "reason", message)
	h.page(w, r, page.Status, "error.html", page)
}

// recomputeHref is the recompute action of a review, relative to its
// page (reports/{kind}/{period} or a download beside it).
func recomputeHref(p schema.ReviewPeriod) string {
	return url.PathEscape(p.Key()) + "/recompute"
}

// problem writes an error page with what was wrong and, when known, the
// command that fixes it.
func (h *handler) problem(w http.ResponseWriter, r *http.Request, status int, title, message, command string) {
	h.cfg.Logger.Debug("report request refused", "path", r.URL.Path, "status", status, "reason", message)
	h.page(w, r, status, "error.html", problemPage{Status: status, StatusText: http.StatusText(status), Title: title,
		Message: message, Command: command, IndexHref: indexHref(r.URL.Path)})
}

func (h *handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.cfg.Logger.Error("report request failed", "path", r.URL.Path, "what", what, "error", err)
	message := fmt.Sprintf("%s 失败：%v", what, err)
	if errors.Is(err, context.DeadlineExceeded) {
		message += fmt.Sprintf("（超过 %s）", h.cfg.Timeout)
	}
	h.page(w, r, http.StatusInternalServerError, "error.html", problemPage{Status: http.StatusInternalServerError,
		StatusText: http.StatusText(http.StatusInternalServerError), Title: "服务器内部错误", Message: message,
		IndexHref: indexHref(r.URL.Path)})
}

// page renders a template into a buffer, then writes it with the status.
func (h *handler) page(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		h.cfg.Logger.Error("report page failed", "path", r.URL.Path, "template", name, "error", err)
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// indexHref is the relative link from a path to the handler's root.
func indexHref(path string) string {
	n := strings.Count(path, "/") - 1
	if n <= 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}
