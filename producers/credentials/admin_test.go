package credentials_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/keyproject/kpp/producers/credentials"
)

// Administrator credentials live beside the departments, hashed the same
// way; neither kind of token passes for the other; rotation and removal
// take effect in another process's store at its next check.
func TestAdminCredentials(t *testing.T) {
	s, c := newStore(t)
	dept := add(t, s, "qy-fgj", "庆元县发展和改革局")
	ad, tok, err := s.AddAdmin("李华")
	if err != nil {
		t.Fatal(err)
	}
	if ad.Name != "李华" || ad.TokenID != credentials.TokenID(tok) || !ad.CreatedAt.Equal(at("2025-09-01 09:00")) {
		t.Fatalf("added %+v (token id %s)", ad, credentials.TokenID(tok))
	}
	if _, _, err := s.AddAdmin("李华"); !errors.Is(err, credentials.ErrAdminExists) {
		t.Errorf("second add: %v", err)
	}
	for _, bad := range []string{"", "李 华", strings.Repeat("长", 65)} {
		if _, _, err := s.AddAdmin(bad); !errors.Is(err, credentials.ErrInvalidAdmin) {
			t.Errorf("AddAdmin(%q): %v", bad, err)
		}
	}
	// The file holds the hash, not the token.
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok[len("kpp_")+13:]) || !strings.Contains(string(b), `"admins"`) || !strings.Contains(string(b), "$argon2id$") {
		t.Fatalf("file:\n%s", b)
	}

	other := open(t, s.Path(), c) // another process (kpp serve)
	got, err := other.VerifyAdmin(tok)
	if err != nil || got.Name != "李华" {
		t.Fatalf("VerifyAdmin: %+v %v", got, err)
	}
	// A department's token is not an administrator's, and says so.
	_, err = other.VerifyAdmin(dept.Token)
	var te *credentials.TokenError
	if !errors.Is(err, credentials.ErrNotAdmin) || !errors.As(err, &te) || !strings.Contains(te.MessageZh, "部门令牌") {
		t.Errorf("department token as admin: %v", err)
	}
	// An administrator's token is no department's.
	if _, err := other.Verify(tok); !errors.Is(err, credentials.ErrUnknownToken) {
		t.Errorf("admin token as department: %v", err)
	}
	// A wrong secret.
	wrong := tok[:len(tok)-4] + "AAAA"
	if wrong == tok {
		wrong = tok[:len(tok)-4] + "BBBB"
	}
	if _, err := other.VerifyAdmin(wrong); !errors.Is(err, credentials.ErrUnknownToken) {
		t.Errorf("wrong secret: %v", err)
	}

	c.Set(at("2025-10-01 08:00"))
	tok2, err := s.RotateAdmin("李华")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.VerifyAdmin(tok); !errors.As(err, &te) || !strings.Contains(te.MessageZh, "2025-10-01 08:00 更换") {
		t.Errorf("old admin token after rotation: %v", err)
	}
	if got, err := other.VerifyAdmin(tok2); err != nil || got.Name != "李华" || !got.RotatedAt.Equal(at("2025-10-01 08:00")) {
		t.Errorf("new admin token: %+v %v", got, err)
	}
	list, err := other.ListAdmins()
	if err != nil || len(list) != 1 || list[0].TokenID != credentials.TokenID(tok2) {
		t.Errorf("list: %+v %v", list, err)
	}
	if err := s.RemoveAdmin("王五"); !errors.Is(err, credentials.ErrUnknownAdmin) {
		t.Errorf("remove unknown: %v", err)
	}
	if err := s.RemoveAdmin("李华"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.VerifyAdmin(tok2); !errors.Is(err, credentials.ErrUnknownToken) {
		t.Errorf("removed admin: %v", err)
	}
	// The department is untouched.
	if d, err := other.Verify(dept.Token); err != nil || d.ID != "qy-fgj" {
		t.Errorf("department after admin changes: %+v %v", d, err)
	}
}
