package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/keyproject/kpp/schema"
)

// SessionCookie is the name of the web session cookie. It holds the
// department, an expiry and a random nonce, signed with HMAC-SHA256 under
// [Config.SessionKey]; never the token.
const SessionCookie = "kpp_intake_session"

// LangCookie remembers the language chosen with ?lang=en or ?lang=zh.
const LangCookie = "kpp_lang"

// session is a signed-in department.
type session struct {
	Dept string `json:"d"`
	Name string `json:"n,omitempty"`
	// Cred is the credential that signed in (Department.Credential).
	Cred  string `json:"c,omitempty"`
	Exp   int64  `json:"e"`
	Nonce string `json:"x"`
}

func (s *session) department() Department { return Department{ID: s.Dept, Name: s.Name} }

// signer signs sessions and CSRF tokens.
type signer struct{ key []byte }

func (g signer) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(strings.Join(parts, "\x1f")))
	return m.Sum(nil)
}

// encode renders the cookie value: base64url(JSON) "." base64url(HMAC).
func (g signer) encode(s *session) string {
	b, _ := json.Marshal(s) // a struct of strings and an int64
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(g.mac("session", p))
}

// decode checks the signature and the expiry.
func (g signer) decode(v string, now time.Time) (*session, bool) {
	p, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, g.mac("session", p)) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, false
	}
	var s session
	if json.Unmarshal(b, &s) != nil || !schema.ValidIdentifier(s.Dept) || now.Unix() >= s.Exp {
		return nil, false
	}
	return &s, true
}

// csrf is the session's CSRF token, put in a hidden field of every form.
func (g signer) csrf(s *session) string {
	return hex.EncodeToString(g.mac("csrf", s.Dept, s.Nonce))
}

func (g signer) checkCSRF(s *session, token string) bool {
	want := g.csrf(s)
	return hmac.Equal([]byte(token), []byte(want))
}

// randomHex returns n random bytes as hex.
func randomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// setCookie writes a cookie scoped to the web pages.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int, httpOnly bool, same http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     webPrefix,
		MaxAge:   maxAge,
		HttpOnly: httpOnly,
		Secure:   s.cfg.SecureCookies || r.TLS != nil,
		SameSite: same,
	})
}

// limiter applies the per-credential rate limit, keyed by department.
type limiter struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{r: rate.Limit(perSecond), burst: burst, m: map[string]*rate.Limiter{}}
}

// allow takes one request from the department's allowance at now. When
// none is left it returns false and how long until one is.
func (l *limiter) allow(dept string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.m[dept]
	if !ok {
		lim = rate.NewLimiter(l.r, l.burst)
		l.m[dept] = lim
	}
	l.mu.Unlock()
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}
