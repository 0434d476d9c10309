package report

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Account is a person signed in to the report pages: a leader (领导) or a
// reader (查阅人员). Version changes when the account's password does, so
// a session made before a rotation ends.
type Account struct {
	Name, Role, Version string
}

// Accounts checks the sign-in of the people who read the reviews. kpp
// serve gives the readers file (consumers/readers); the handler never
// sees a hash.
type Accounts interface {
	// Verify returns the account when password is its current password;
	// ok is false when the name or the password is wrong. err is a
	// server-side failure (the file cannot be read).
	Verify(name, password string) (a Account, ok bool, err error)
	// Current returns the account as it is now; ok is false when it was
	// removed.
	Current(name string) (a Account, ok bool, err error)
}

// Role labels for people.
var roleLabels = map[string]string{"leader": "领导", "reader": "查阅人员"}

// SessionCookie is the name of the report pages' session cookie.
const SessionCookie = "kpp_reports"

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 12 * time.Hour

type accountKey struct{}

// SignedIn returns the account a request was authenticated as, for
// handlers behind the report handler's sign-in (e.g. actions that only a
// leader may take).
func SignedIn(r *http.Request) (Account, bool) {
	a, ok := r.Context().Value(accountKey{}).(Account)
	return a, ok
}

// auth is the sign-in of the report pages: a session cookie signed with
// HMAC-SHA256 after the sign-in form, or HTTP Basic authentication (for
// scripts that download). Every session is checked against the account
// on each request, so a rotated password or a removed account ends it at
// once.
type auth struct {
	h        *handler
	accounts Accounts
	key      []byte
	ttl      time.Duration
	secure   bool
	now      func() time.Time
}

func newAuth(h *handler, cfg Config) (*auth, error) {
	key := cfg.SessionKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("report sessions: random key: %w", err)
		}
	}
	return &auth{h: h, accounts: cfg.Accounts, key: key, ttl: cfg.SessionTTL, secure: cfg.SecureCookies, now: time.Now}, nil
}

// handler wraps the pages: /signin and /signout, /healthz open, everything
// else signed in. Cross-origin POSTs (a sign-in forged by another site)
// are refused by http.CrossOriginProtection; the cookie is SameSite=Lax
// and HttpOnly.
func (a *auth) handler(pages http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signin", a.signinPage)
	mux.HandleFunc("POST /signin", a.signin)
	mux.HandleFunc("POST /signout", a.signout)
	mux.HandleFunc("GET /healthz", a.h.healthz)
	mux.Handle("/", a.require(pages))
	return http.NewCrossOriginProtection().Handler(mux)
}

type session struct {
	Name    string `json:"n"`
	Version string `json:"v"`
	Expires int64  `json:"e"`
}

func (a *auth) sign(payload []byte) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("kpp report session\x00"))
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (a *auth) cookieValue(s session) string {
	b, _ := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(b) + "." + a.sign(b)
}

// fromCookie returns the session of a well-signed, unexpired cookie.
func (a *auth) fromCookie(r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return session{}, false
	}
	p, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return session{}, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(p)
	if err != nil || !hmac.Equal([]byte(mac), []byte(a.sign(b))) {
		return session{}, false
	}
	var s session
	if json.Unmarshal(b, &s) != nil || a.now().Unix() >= s.Expires {
		return session{}, false
	}
	return s, true
}

// account authenticates a request: HTTP Basic when the request has an
// Authorization header (a wrong one is not rescued by a cookie), else the
// session cookie.
func (a *auth) account(r *http.Request) (Account, bool, error) {
	if r.Header.Get("Authorization") != "" {
		name, password, ok := r.BasicAuth()
		if !ok {
			return Account{}, false, nil
		}
		return a.accounts.Verify(name, password)
	}
	s, ok := a.fromCookie(r)
	if !ok {
		return Account{}, false, nil
	}
	acc, ok, err := a.accounts.Current(s.Name)
	if err != nil || !ok || acc.Version != s.Version {
		return Account{}, false, err
	}
	return acc, true, nil
}

func (a *auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acc, ok, err := a.account(r)
		if err != nil {
			a.h.serverError(w, r, "check the sign-in", err)
			return
		}
		if ok {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), accountKey{}, acc)))
			return
		}
		a.h.cfg.Logger.Debug("report request without a valid sign-in", "path", r.URL.Path, "basic", r.Header.Get("Authorization") != "")
		w.Header().Set("Cache-Control", "no-store")
		if r.Header.Get("Authorization") == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
			// A browser: to the sign-in page, and back here afterwards.
			next := strings.TrimPrefix(r.URL.Path, "/")
			if r.URL.RawQuery != "" {
				next += "?" + r.URL.RawQuery
			}
			seeOther(w, indexHref(r.URL.Path)+"signin?next="+url.QueryEscape(next))
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="kpp reports", charset="UTF-8"`)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "需要登录：请在 %ssignin 用管理员发放的账号和密码登录，脚本可用 HTTP Basic 认证（curl -u 账号:密码）。\n"+
			"Sign-in required: sign in at %ssignin with the account and password the operator issued (kpp reader add); scripts use HTTP Basic authentication (curl -u NAME:PASSWORD).\n",
			indexHref(r.URL.Path), indexHref(r.URL.Path))
	})
}

type signinPage struct {
	Next, Name, Message string
	Account             *Account
	RoleLabel           string
}

func (a *auth) signinPage(w http.ResponseWriter, r *http.Request) {
	page := signinPage{Next: safeNext(r.URL.Query().Get("next"))}
	if acc, ok, err := a.account(r); err == nil && ok {
		page.Account, page.RoleLabel = &acc, roleLabels[acc.Role]
	}
	a.h.page(w, r, http.StatusOK, "signin.html", page)
}

func (a *auth) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		a.h.page(w, r, http.StatusBadRequest, "signin.html", signinPage{Message: "表单无法读取，请重新填写。The form could not be read; please fill it in again."})
		return
	}
	name, next := strings.TrimSpace(r.PostForm.Get("name")), safeNext(r.PostForm.Get("next"))
	acc, ok, err := a.accounts.Verify(name, strings.TrimSpace(r.PostForm.Get("password")))
	if err != nil {
		a.h.serverError(w, r, "check the sign-in", err)
		return
	}
	if !ok {
		a.h.cfg.Logger.Info("report sign-in refused", "name", name)
		a.h.page(w, r, http.StatusUnauthorized, "signin.html", signinPage{Next: next, Name: name,
			Message: "账号或密码不正确：请核对管理员发放的账号和密码（密码区分大小写）；忘记密码请联系管理员重新发放。Account or password not accepted; the operator can issue a new password (kpp reader rotate)."})
		return
	}
	expires := a.now().Add(a.ttl)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: a.cookieValue(session{Name: acc.Name, Version: acc.Version, Expires: expires.Unix()}),
		Path: "/", Expires: expires, MaxAge: int(a.ttl.Seconds()), HttpOnly: true, Secure: a.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	a.h.cfg.Logger.Info("report sign-in", "name", acc.Name, "role", acc.Role)
	if next == "" {
		next = "./"
	}
	seeOther(w, next)
}

func (a *auth) signout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	seeOther(w, "signin")
}

// nextRE is a path relative to the handler's root, with a query: no
// scheme, no host, no leading slash.
var nextRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/%?=&+-]*$`)

// safeNext keeps the page to return to after the sign-in only when it is a
// relative path inside the handler ("reports/monthly/2025-09"): never
// another site.
func safeNext(next string) string {
	if !nextRE.MatchString(next) || strings.Contains(next, "//") || strings.Contains(next, "..") {
		return ""
	}
	return next
}

// seeOther redirects to a location relative to the request, kept relative
// (http.Redirect would make it absolute), so that the handler also works
// mounted below a prefix.
func seeOther(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusSeeOther)
}
