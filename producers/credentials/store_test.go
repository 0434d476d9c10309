package credentials_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/schema"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, schema.Location())
	if err != nil {
		panic(err)
	}
	return t
}

// open opens a store on path with a test clock and no logs.
func open(t *testing.T, path string, c *clock) *credentials.Store {
	t.Helper()
	s, err := credentials.New(credentials.Config{Path: path, Now: c.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

func newStore(t *testing.T) (*credentials.Store, *clock) {
	t.Helper()
	c := &clock{t: at("2025-09-01 09:00")}
	return open(t, filepath.Join(t.TempDir(), "kpp", "departments.json"), c), c
}

func add(t *testing.T, s *credentials.Store, dept, name string) credentials.Issued {
	t.Helper()
	iss, err := s.Add(dept, name)
	if err != nil {
		t.Fatalf("Add(%s): %v", dept, err)
	}
	return iss
}

func verify(t *testing.T, s *credentials.Store, token, wantDept string) {
	t.Helper()
	d, err := s.Verify(token)
	if err != nil {
		t.Fatalf("Verify(token of %s): %v", wantDept, err)
	}
	if d.ID != wantDept {
		t.Fatalf("Verify(token of %s) = department %s", wantDept, d.ID)
	}
}

// refused checks that Verify refuses token with a *TokenError wrapping
// want, whose messages contain every phrase and never the secret.
func refused(t *testing.T, s *credentials.Store, token string, want error, phrases ...string) *credentials.TokenError {
	t.Helper()
	_, err := s.Verify(token)
	var te *credentials.TokenError
	if !errors.As(err, &te) || !errors.Is(err, want) {
		t.Fatalf("Verify = %v, want a *TokenError wrapping %v", err, want)
	}
	for _, p := range phrases {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
	if te.MessageZh == "" || te.MessageEn == "" {
		t.Errorf("error %q lacks a Chinese or English message", err)
	}
	if _, secret, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(token), "kpp_"), "_"); ok && len(secret) > 3 {
		if strings.Contains(te.MessageEn+te.MessageZh+err.Error(), secret) {
			t.Errorf("error repeats the secret: %v", err)
		}
	}
	return te
}

var tokenRE = regexp.MustCompile(`^kpp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$`)

func TestAddThenVerify(t *testing.T) {
	s, _ := newStore(t)
	iss := add(t, s, "qy-jtj", " 庆元县交通运输局 ")
	if !tokenRE.MatchString(iss.Token) {
		t.Fatalf("token %q does not look like kpp_<12 hex>_<43 base64url>", iss.Token)
	}
	if credentials.TokenID(iss.Token) != iss.Department.TokenID || iss.Department.TokenID == "" {
		t.Errorf("token id %q, department's %q", credentials.TokenID(iss.Token), iss.Department.TokenID)
	}
	want := credentials.Department{ID: "qy-jtj", Name: "庆元县交通运输局", TokenID: iss.Department.TokenID,
		CreatedAt: at("2025-09-01 09:00"), NATSUser: "qy-jtj"}
	d, err := s.Verify(iss.Token)
	if err != nil {
		t.Fatal(err)
	}
	if d != want {
		t.Errorf("Verify = %+v\nwant %+v", d, want)
	}
	verify(t, s, "  "+iss.Token+"\r\n", "qy-jtj") // pasted with a line break
	verify(t, s, iss.Token, "qy-jtj")             // again, from the verified cache

	other := add(t, s, "qy-fgj", "庆元县发展和改革局")
	verify(t, s, other.Token, "qy-fgj")
	verify(t, s, iss.Token, "qy-jtj")
	if other.Token == iss.Token || other.Department.TokenID == iss.Department.TokenID || other.NATSPassword == iss.NATSPassword {
		t.Error("two departments got the same secret")
	}
}

func TestRotateRefusesTheOldToken(t *testing.T) {
	s, c := newStore(t)
	iss := add(t, s, "qy-jtj", "庆元县交通运输局")
	verify(t, s, iss.Token, "qy-jtj") // now cached
	c.Set(at("2025-10-01 10:00"))
	token, err := s.Rotate("qy-jtj")
	if err != nil {
		t.Fatal(err)
	}
	if !tokenRE.MatchString(token) || token == iss.Token {
		t.Fatalf("rotated token %q", token)
	}
	refused(t, s, iss.Token, credentials.ErrUnknownToken,
		"token "+iss.Department.TokenID+" of department qy-jtj was replaced on 2025-10-01 10:00")
	verify(t, s, token, "qy-jtj")
	d, err := s.Get("qy-jtj")
	if err != nil {
		t.Fatal(err)
	}
	if !d.RotatedAt.Equal(at("2025-10-01 10:00")) || !d.CreatedAt.Equal(at("2025-09-01 09:00")) || d.TokenID != credentials.TokenID(token) {
		t.Errorf("after rotation: %+v", d)
	}
	// A second rotation: both earlier tokens are refused as replaced.
	token3, err := s.Rotate("qy-jtj")
	if err != nil {
		t.Fatal(err)
	}
	refused(t, s, iss.Token, credentials.ErrUnknownToken, "was replaced")
	refused(t, s, token, credentials.ErrUnknownToken, "was replaced")
	verify(t, s, token3, "qy-jtj")
}

// TestAnotherProcessRotates: kpp dept rotate runs in another process while
// kpp serve verifies; serve refuses the old token at its next Verify.
func TestAnotherProcessRotates(t *testing.T) {
	serve, c := newStore(t)
	cli := open(t, serve.Path(), c)
	iss := add(t, cli, "qy-jtj", "庆元县交通运输局")
	verify(t, serve, iss.Token, "qy-jtj") // the file appeared: reloaded
	verify(t, serve, iss.Token, "qy-jtj") // cached
	token, err := cli.Rotate("qy-jtj")
	if err != nil {
		t.Fatal(err)
	}
	refused(t, serve, iss.Token, credentials.ErrUnknownToken, "was replaced")
	verify(t, serve, token, "qy-jtj")
	// And the other way round: serve's store adds, the CLI's lists it.
	add(t, serve, "qy-slj", "庆元县水利局")
	l, err := cli.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0].ID != "qy-jtj" || l[1].ID != "qy-slj" {
		t.Errorf("List in the other process = %+v, want qy-jtj and qy-slj", l)
	}
	// Removed elsewhere: refused here.
	if err := cli.Remove("qy-jtj"); err != nil {
		t.Fatal(err)
	}
	refused(t, serve, token, credentials.ErrUnknownToken, "is not known")
}

func TestListAndFileNeverHoldSecrets(t *testing.T) {
	s, _ := newStore(t)
	a := add(t, s, "qy-jtj", "庆元县交通运输局")
	b := add(t, s, "qy-fgj", "庆元县发展和改革局")
	rotated, err := s.Rotate("qy-fgj")
	if err != nil {
		t.Fatal(err)
	}
	natsPassword, err := s.RotateNATS("qy-jtj")
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	listed, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"a token": a.Token, "b token": b.Token, "rotated": rotated,
		"a NATS": a.NATSPassword, "b NATS": b.NATSPassword, "rotated NATS": natsPassword}
	for name, secret := range secrets {
		parts := []string{secret}
		if tail, ok := strings.CutPrefix(secret, "kpp_"); ok {
			parts = append(parts, tail[13:]) // the secret after the token id
		}
		for _, part := range parts {
			if strings.Contains(string(listed), part) {
				t.Errorf("List shows the secret of %s", name)
			}
			if strings.Contains(string(file), part) {
				t.Errorf("the file holds the secret of %s", name)
			}
		}
	}
	if strings.Contains(string(listed), "argon2") || strings.Contains(string(listed), "$2a$") {
		t.Errorf("List shows hashes: %s", listed)
	}
	if !strings.Contains(string(file), `"token_hash": "$argon2id$v=19$m=19456,t=2,p=1$`) || !strings.Contains(string(file), `"nats_password_bcrypt": "$2a$11$`) {
		t.Errorf("the file does not hold the hashes as documented:\n%s", file)
	}
	if len(l) != 2 || l[0].ID != "qy-fgj" || l[1].ID != "qy-jtj" || l[0].TokenID != credentials.TokenID(rotated) {
		t.Errorf("List = %+v", l)
	}
}

func TestFilePermissions(t *testing.T) {
	s, c := newStore(t)
	add(t, s, "qy-jtj", "庆元县交通运输局")
	info, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %04o, want 0600", info.Mode().Perm())
	}
	dir, err := os.Stat(filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("created directory mode %04o, want 0700", dir.Mode().Perm())
	}
	entries, err := os.ReadDir(filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "departments.json" && e.Name() != "departments.json.lock" {
			t.Errorf("left behind in the directory: %s", e.Name())
		}
	}
	// Readable by others: opened (with a warning). Writable by others:
	// refused, and the message says how to fix it.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, s.Path(), c)
	if err := os.Chmod(s.Path(), 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = credentials.Open(s.Path())
	if !errors.Is(err, credentials.ErrInsecureFile) || !strings.Contains(err.Error(), "mode 0666") || !strings.Contains(err.Error(), "chmod 600 "+s.Path()) {
		t.Errorf("Open of a file others may write: %v, want ErrInsecureFile saying chmod 600", err)
	}
	// A write puts the mode back to 0600.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate("qy-jtj"); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(s.Path()); info.Mode().Perm() != 0o600 {
		t.Errorf("after a rotation the mode is %04o, want 0600", info.Mode().Perm())
	}
}

func TestConcurrentVerify(t *testing.T) {
	s, _ := newStore(t)
	a := add(t, s, "qy-jtj", "庆元县交通运输局")
	b := add(t, s, "qy-fgj", "庆元县发展和改革局")
	bad := a.Token[:len(a.Token)-4] + "AAAA"
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				tok, want := a.Token, "qy-jtj"
				if (g+i)%2 == 1 {
					tok, want = b.Token, "qy-fgj"
				}
				if d, err := s.Verify(tok); err != nil || d.ID != want {
					errs <- err
					return
				}
				if i%5 == 0 {
					if _, err := s.Verify(bad); !errors.Is(err, credentials.ErrUnknownToken) {
						errs <- err
						return
					}
				}
			}
		})
	}
	// Meanwhile another department is added and rotated.
	wg.Go(func() {
		if _, err := s.Add("qy-slj", "庆元县水利局"); err != nil {
			errs <- err
		}
		if _, err := s.Rotate("qy-slj"); err != nil {
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
}

// TestConcurrentWriters: two processes' kpp dept add at once keep both
// departments (the lock file serialises read-modify-write).
func TestConcurrentWriters(t *testing.T) {
	s1, c := newStore(t)
	s2 := open(t, s1.Path(), c)
	var wg sync.WaitGroup
	for i, s := range []*credentials.Store{s1, s2, s1, s2} {
		wg.Go(func() {
			if _, err := s.Add("dept-"+string(rune('a'+i)), "部门"); err != nil {
				t.Errorf("Add: %v", err)
			}
		})
	}
	wg.Wait()
	l, err := s2.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 4 {
		t.Errorf("%d departments after 4 concurrent adds, want 4: %+v", len(l), l)
	}
}

func TestMalformedTokens(t *testing.T) {
	s, _ := newStore(t)
	iss := add(t, s, "qy-jtj", "庆元县交通运输局")
	id := iss.Department.TokenID
	secret := strings.TrimPrefix(iss.Token, "kpp_"+id+"_")
	for _, tc := range []struct {
		name, token string
		want        []string
	}{
		{"empty", "", []string{"no department token was given"}},
		{"blank", " \t\n", []string{"no department token was given"}},
		{"with Bearer", "Bearer " + iss.Token, []string{"does not start with kpp_"}},
		{"another scheme", "ghp_" + secret, []string{"does not start with kpp_"}},
		{"prefix only", "kpp_", []string{"is not 12 lower-case hex digits"}},
		{"no secret", "kpp_" + id, []string{"is not 12 lower-case hex digits followed by _"}},
		{"upper-case id", "kpp_" + strings.ToUpper(id) + "_" + secret, []string{"is not 12 lower-case hex digits"}},
		{"short id", "kpp_" + id[:10] + "_" + secret, []string{"is not 12 lower-case hex digits"}},
		{"cut off", iss.Token[:len(iss.Token)-5], []string{"the secret of token " + id + " has 38 characters; expected 43", "cut off"}},
		{"joined", iss.Token + "xyz", []string{"has 46 characters; expected 43"}},
		{"standard base64", "kpp_" + id + "_" + strings.Repeat("+", 43), []string{"has characters other than A-Z, a-z, 0-9, - and _"}},
		{"full-width", "kpp_" + id + "_" + secret[:40] + "ＡＢ", []string{"has 46 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := refused(t, s, tc.token, credentials.ErrMalformedToken, tc.want...)
			if strings.Contains(tc.name, "cut") && te.TokenID != id {
				t.Errorf("TokenID = %q, want %q", te.TokenID, id)
			}
		})
	}
	if credentials.TokenID("kpp_") != "" || credentials.TokenID(iss.Token) != id {
		t.Error("TokenID of a malformed or a good token")
	}
}

func TestUnknownTokens(t *testing.T) {
	s, _ := newStore(t)
	iss := add(t, s, "qy-jtj", "庆元县交通运输局")
	id := iss.Department.TokenID
	secret := strings.TrimPrefix(iss.Token, "kpp_"+id+"_")
	refused(t, s, "kpp_0123456789ab_"+secret, credentials.ErrUnknownToken,
		"token 0123456789ab is not known: it was never issued, or its department was removed")
	wrong := []byte(secret)
	wrong[10] = 'A'
	if secret[10] == 'A' {
		wrong[10] = 'B'
	}
	refused(t, s, "kpp_"+id+"_"+string(wrong), credentials.ErrUnknownToken,
		"the secret of token "+id+" does not match")
	// The wrong secret is not remembered: the right one still works, and
	// the wrong one is still refused after the right one was cached.
	verify(t, s, iss.Token, "qy-jtj")
	refused(t, s, "kpp_"+id+"_"+string(wrong), credentials.ErrUnknownToken, "does not match")

	empty, _ := newStore(t) // no file at all
	refused(t, empty, iss.Token, credentials.ErrUnknownToken, "is not known")
}

func TestDepartmentErrors(t *testing.T) {
	s, _ := newStore(t)
	add(t, s, "qy-jtj", "庆元县交通运输局")
	for _, tc := range []struct {
		name string
		err  error
		want error
		says string
	}{
		{"add twice", func() error { _, err := s.Add("qy-jtj", "交通局"); return err }(), credentials.ErrDepartmentExists,
			"qy-jtj (庆元县交通运输局) is already in"},
		{"bad id", func() error { _, err := s.Add("QY JTJ", "交通局"); return err }(), credentials.ErrInvalidDepartment,
			`id "QY JTJ": expected lower-case letters, digits`},
		{"service user", func() error { _, err := s.Add("kpp-service", "服务"); return err }(), credentials.ErrInvalidDepartment,
			"is the NATS user of kpp serve"},
		{"no name", func() error { _, err := s.Add("qy-slj", "  "); return err }(), credentials.ErrInvalidDepartment,
			"qy-slj has no name"},
		{"long name", func() error { _, err := s.Add("qy-slj", strings.Repeat("水", 101)); return err }(), credentials.ErrInvalidDepartment,
			"has 101 characters; expected at most 100"},
		{"rotate unknown", func() error { _, err := s.Rotate("qy-xxx"); return err }(), credentials.ErrUnknownDepartment,
			`"qy-xxx" is not in ` + s.Path()},
		{"rotate NATS unknown", func() error { _, err := s.RotateNATS("qy-xxx"); return err }(), credentials.ErrUnknownDepartment, "kpp dept list"},
		{"get unknown", func() error { _, err := s.Get("qy-xxx"); return err }(), credentials.ErrUnknownDepartment, "qy-xxx"},
		{"disable unknown", s.Disable("qy-xxx"), credentials.ErrUnknownDepartment, "qy-xxx"},
		{"remove unknown", s.Remove("qy-xxx"), credentials.ErrUnknownDepartment, "qy-xxx"},
	} {
		if !errors.Is(tc.err, tc.want) || !strings.Contains(tc.err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.name, tc.err, tc.want, tc.says)
		}
	}
	if l, _ := s.List(); len(l) != 1 {
		t.Errorf("failed calls changed the file: %+v", l)
	}
}

func TestDisableEnableRemove(t *testing.T) {
	s, c := newStore(t)
	iss := add(t, s, "qy-jtj", "庆元县交通运输局")
	add(t, s, "qy-fgj", "庆元县发展和改革局")
	verify(t, s, iss.Token, "qy-jtj")
	c.Set(at("2025-11-02 08:30"))
	if err := s.Disable("qy-jtj"); err != nil {
		t.Fatal(err)
	}
	refused(t, s, iss.Token, credentials.ErrDisabled, "department qy-jtj has been disabled since 2025-11-02 08:30")
	nd, err := s.NATSDepartments()
	if err != nil {
		t.Fatal(err)
	}
	if len(nd) != 1 || nd[0].ID != "qy-fgj" {
		t.Errorf("NATS users with qy-jtj disabled: %+v, want qy-fgj only", nd)
	}
	if err := s.Enable("qy-jtj"); err != nil {
		t.Fatal(err)
	}
	verify(t, s, iss.Token, "qy-jtj")
	if err := s.Remove("qy-jtj"); err != nil {
		t.Fatal(err)
	}
	refused(t, s, iss.Token, credentials.ErrUnknownToken, "is not known")
}

func TestNATSPasswords(t *testing.T) {
	s, _ := newStore(t)
	iss := add(t, s, "qy-jtj", "庆元县交通运输局")
	hash := func() string {
		nd, err := s.NATSDepartments()
		if err != nil || len(nd) != 1 || nd[0].ID != "qy-jtj" {
			t.Fatalf("NATSDepartments = %+v, %v", nd, err)
		}
		return nd[0].PasswordHash
	}
	if iss.NATSUser != "qy-jtj" || bcrypt.CompareHashAndPassword([]byte(hash()), []byte(iss.NATSPassword)) != nil {
		t.Fatalf("the issued NATS password does not match the stored hash")
	}
	p, err := s.RotateNATS("qy-jtj")
	if err != nil {
		t.Fatal(err)
	}
	h := hash()
	if bcrypt.CompareHashAndPassword([]byte(h), []byte(iss.NATSPassword)) == nil || bcrypt.CompareHashAndPassword([]byte(h), []byte(p)) != nil {
		t.Error("after RotateNATS the old password still matches or the new one does not")
	}
	verify(t, s, iss.Token, "qy-jtj") // the intake token is unchanged
}

func TestBrokenFile(t *testing.T) {
	s, c := newStore(t)
	iss := add(t, s, "qy-jtj", "庆元县交通运输局")
	good, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, text, says string }{
		{"truncated", string(good[:len(good)/2]), "unexpected EOF"},
		{"unknown field", strings.Replace(string(good), `"name"`, `"nmae"`, 1), `unknown field "nmae"`},
		{"plain NATS password", regexp.MustCompile(`"\$2a\$11\$[^"]*"`).ReplaceAllString(string(good), `"hunter2"`), "nats_password_bcrypt is not a bcrypt hash"},
		{"not argon2id", regexp.MustCompile(`"\$argon2id\$[^"]*"`).ReplaceAllString(string(good), `"5f4dcc3b5aa765d61d8327deb882cf99"`), "token_hash: not an argon2id hash"},
		{"other format", strings.Replace(string(good), "kpp.departments.v1", "kpp.departments.v9", 1), `format "kpp.departments.v9"; expected "kpp.departments.v1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "departments.json")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := credentials.Open(path)
			if !errors.Is(err, credentials.ErrFileFormat) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open = %v, want ErrFileFormat naming the file and saying %q", err, tc.says)
			}
		})
	}
	// Broken while serving: Verify fails closed with an error that is not a
	// TokenError (the server's problem, not the clerk's).
	verify(t, s, iss.Token, "qy-jtj")
	if err := os.WriteFile(s.Path(), good[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Verify(iss.Token)
	var te *credentials.TokenError
	if err == nil || errors.As(err, &te) || !errors.Is(err, credentials.ErrFileFormat) {
		t.Errorf("Verify with a broken file = %v, want an ErrFileFormat error", err)
	}
	_ = c
}
