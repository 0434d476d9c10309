package readers_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyproject/kpp/consumers/readers"
	"github.com/keyproject/kpp/internal/passhash"
)

// cheap are argon2id parameters that keep the tests fast; the defaults are
// the department tokens' (producers/credentials tests them).
var cheap = passhash.Params{Time: 1, MemoryKiB: 1024, Threads: 1}

func open(t *testing.T, path string) *readers.Store {
	t.Helper()
	s, err := readers.New(readers.Config{Path: path, Argon2: cheap})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kpp", "readers.json")
	s := open(t, path)
	pw, err := s.Add("zhang-wei", readers.RoleLeader)
	if err != nil {
		t.Fatal(err)
	}
	if len(pw) != 32 {
		t.Errorf("password %q has %d characters, want 32", pw, len(pw))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), pw) || !strings.Contains(string(b), "$argon2id$") {
		t.Errorf("the file must hold the argon2id hash only:\n%s", b)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", info.Mode().Perm())
	}

	// Another process (a second store on the file) sees the account.
	other := open(t, path)
	a, err := other.Verify("zhang-wei", pw)
	if err != nil || a.Role != readers.RoleLeader || a.Version == "" {
		t.Fatalf("verify: %+v %v", a, err)
	}
	for _, c := range []struct{ name, pw string }{{"zhang-wei", "wrong"}, {"zhang-wei", ""}, {"nobody", pw}} {
		if _, err := other.Verify(c.name, c.pw); !errors.Is(err, readers.ErrRefused) {
			t.Errorf("verify %s/%q: %v, want ErrRefused", c.name, c.pw, err)
		}
	}
	if _, err := s.Add("zhang-wei", readers.RoleReader); !errors.Is(err, readers.ErrExists) {
		t.Errorf("add twice: %v", err)
	}
	for _, c := range [][2]string{{"Zhang Wei", readers.RoleReader}, {"li", "admin"}} {
		if _, err := s.Add(c[0], c[1]); !errors.Is(err, readers.ErrInvalid) {
			t.Errorf("add %q %q: %v, want ErrInvalid", c[0], c[1], err)
		}
	}

	// Rotation: the old password is refused by the other process at once,
	// the new one works, and the version changes (sessions end).
	pw2, err := s.Rotate("zhang-wei", readers.RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify("zhang-wei", pw); !errors.Is(err, readers.ErrRefused) {
		t.Errorf("old password after rotate: %v", err)
	}
	b2, err := other.Verify("zhang-wei", pw2)
	if err != nil || b2.Role != readers.RoleReader || b2.Version == a.Version || b2.RotatedAt.IsZero() {
		t.Errorf("after rotate: %+v %v (version before %s)", b2, err, a.Version)
	}
	list, err := other.List()
	if err != nil || len(list) != 1 || list[0].Name != "zhang-wei" {
		t.Errorf("list: %+v %v", list, err)
	}
	if err := s.Remove("zhang-wei"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get("zhang-wei"); !errors.Is(err, readers.ErrUnknown) {
		t.Errorf("get after remove: %v", err)
	}
	if err := s.Remove("zhang-wei"); !errors.Is(err, readers.ErrUnknown) {
		t.Errorf("remove twice: %v", err)
	}

	// A file others may write is refused.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := readers.New(readers.Config{Path: path, Argon2: cheap}); !errors.Is(err, readers.ErrFile) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("writable file: %v", err)
	}
}
