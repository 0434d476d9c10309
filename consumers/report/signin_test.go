package report_test

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyproject/kpp/consumers/readers"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/internal/passhash"
)

// accounts is the readers file seen through report.Accounts, as kpp serve
// wires it.
type accounts struct{ s *readers.Store }

func (a accounts) Verify(name, password string) (report.Account, bool, error) {
	acc, err := a.s.Verify(name, password)
	if errors.Is(err, readers.ErrRefused) {
		return report.Account{}, false, nil
	}
	return report.Account{Name: acc.Name, Role: acc.Role, Version: acc.Version}, err == nil, err
}

func (a accounts) Current(name string) (report.Account, bool, error) {
	acc, err := a.s.Get(name)
	if errors.Is(err, readers.ErrUnknown) {
		return report.Account{}, false, nil
	}
	return report.Account{Name: acc.Name, Role: acc.Role, Version: acc.Version}, err == nil, err
}

// Every page and download is refused to anyone not signed in; a reader
// signs in (form and cookie, or HTTP Basic) and reads; a wrong password is
// refused; a rotation ends the old password and the sessions made with it.
func TestSignIn(t *testing.T) {
	st, _ := storedReviews(t)
	store, err := readers.New(readers.Config{Path: filepath.Join(t.TempDir(), "readers.json"), Argon2: passhash.Params{Time: 1, MemoryKiB: 1024, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	password, err := store.Add("li-na", readers.RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	h, err := report.NewHandler(st, report.Config{Accounts: accounts{store}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	pages := []string{"/", "/reports/monthly/2025-09", "/reports/weekly/2025-W41", "/reports/monthly/2025-08", "/nothing-here"}
	for _, ext := range []string{"xlsx", "csv", "md", "txt", "html"} {
		pages = append(pages, "/reports/monthly/2025-09."+ext)
	}
	get := func(c *http.Client, path string, mod func(*http.Request)) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if mod != nil {
			mod(req)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	anon := &http.Client{CheckRedirect: noRedirect}
	basic := func(name, pw string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(name, pw) } }
	browser := func(r *http.Request) { r.Header.Set("Accept", "text/html,application/xhtml+xml") }

	for _, p := range pages {
		// A script: 401 with a Basic challenge and what to do.
		resp, body := get(anon, p, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") ||
			!strings.Contains(body, "需要登录") || strings.Contains(body, "庆元") {
			t.Errorf("anonymous script GET %s: %d %q\n%s", p, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
		// A browser: to the sign-in page, coming back afterwards.
		resp, body = get(anon, p, browser)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "signin?next=") || body != "" && strings.Contains(body, "庆元") {
			t.Errorf("anonymous browser GET %s: %d Location %q", p, resp.StatusCode, loc)
		}
		// A wrong password.
		if resp, _ := get(anon, p, basic("li-na", password+"x")); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong password GET %s: %d", p, resp.StatusCode)
		}
		if resp, _ := get(anon, p, basic("nobody", password)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unknown account GET %s: %d", p, resp.StatusCode)
		}
		// The reader reads.
		want := http.StatusOK
		if p == "/reports/monthly/2025-08" || p == "/nothing-here" {
			want = http.StatusNotFound
		}
		if resp, _ := get(anon, p, basic("li-na", password)); resp.StatusCode != want {
			t.Errorf("reader GET %s: %d, want %d", p, resp.StatusCode, want)
		}
	}
	if resp, _ := get(anon, "/healthz", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz must stay open: %d", resp.StatusCode)
	}

	// The sign-in page, in Chinese first.
	resp, body := get(anon, "/signin?next=reports/monthly/2025-09", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "账号") || !strings.Contains(body, "密码") || !strings.Contains(body, `value="reports/monthly/2025-09"`) {
		t.Errorf("sign-in page: %d\n%s", resp.StatusCode, body)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: noRedirect}
	post := func(c *http.Client, path string, form url.Values, mod func(*http.Request)) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if mod != nil {
			mod(req)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, body = post(client, "/signin", url.Values{"name": {"li-na"}, "password": {"wrong"}, "next": {"reports/monthly/2025-09"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "账号或密码不正确") || len(jar.Cookies(mustURL(t, srv.URL))) != 0 {
		t.Errorf("sign-in with a wrong password: %d\n%s", resp.StatusCode, body)
	}
	// Another site cannot sign a browser in (or out).
	resp, _ = post(anon, "/signin", url.Values{"name": {"li-na"}, "password": {password}}, func(r *http.Request) {
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
	})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d, want 403", resp.StatusCode)
	}
	// A next that leaves the site is dropped.
	resp, _ = post(anon, "/signin", url.Values{"name": {"li-na"}, "password": {password}, "next": {"//evil.example/x"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "./" {
		t.Errorf("sign-in with an outside next: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = post(client, "/signin", url.Values{"name": {"li-na"}, "password": {password}, "next": {"reports/monthly/2025-09"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "reports/monthly/2025-09" {
		t.Fatalf("sign-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == report.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", cookie)
	}
	for _, p := range []string{"/", "/reports/monthly/2025-09", "/reports/monthly/2025-09.xlsx"} {
		if resp, _ := get(client, p, browser); resp.StatusCode != http.StatusOK {
			t.Errorf("signed-in GET %s: %d", p, resp.StatusCode)
		}
	}
	// A forged cookie (another account's name, a later expiry, no
	// signature) is refused.
	payload, mac, _ := strings.Cut(cookie.Value, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	forgedPayload := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"li-na"`, `"wang-qiang"`, 1)))
	if _, err := store.Add("wang-qiang", readers.RoleLeader); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{forgedPayload + "." + mac, payload, payload + ".", "x." + mac} {
		if resp, _ := get(anon, "/", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: report.SessionCookie, Value: v}) }); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("forged cookie %q: %d", v, resp.StatusCode)
		}
	}

	// Rotation: the old password and the session made with it are refused.
	newPassword, err := store.Rotate("li-na", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(client, "/reports/monthly/2025-09", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("session after rotation: %d, want 401", resp.StatusCode)
	}
	if resp, _ := get(anon, "/reports/monthly/2025-09.csv", basic("li-na", password)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after rotation: %d, want 401", resp.StatusCode)
	}
	if resp, _ := get(anon, "/reports/monthly/2025-09.csv", basic("li-na", newPassword)); resp.StatusCode != http.StatusOK {
		t.Errorf("new password: %d", resp.StatusCode)
	}
	// Sign-out ends the session in the browser.
	if resp, _ := post(client, "/signin", url.Values{"name": {"li-na"}, "password": {newPassword}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with the new password: %d", resp.StatusCode)
	}
	if resp, _ := get(client, "/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("signed in again: %d", resp.StatusCode)
	}
	resp, _ = post(client, "/signout", nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := get(client, "/", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d, want 401", resp.StatusCode)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
