package credentials

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keyproject/kpp/internal/passhash"
	"github.com/keyproject/kpp/schema"
)

// Administrator credentials (kpp admin add|rotate|list|remove) are tokens
// of the same shape as departments' (kpp_<id>_<secret>), kept in the same
// file, hashed the same way, with token ids unique across both. They
// authorise what no department may do — importing history through the API
// (POST /api/v1/imports) — and nothing a department does: an
// administrator's token is not a department token ([Store.Verify] refuses
// it) and a department's is not an administrator's ([Store.VerifyAdmin]
// refuses it, with [ErrNotAdmin]).

// Sentinel errors of administrator credentials.
var (
	// ErrNotAdmin: a department's token where an administrator's is
	// required. Returned inside a *TokenError.
	ErrNotAdmin = errors.New("not an administrator credential")
	// ErrUnknownAdmin: no administrator with that name in the file.
	ErrUnknownAdmin = errors.New("unknown administrator")
	// ErrAdminExists: AddAdmin of a name that is already in the file.
	ErrAdminExists = errors.New("administrator already exists")
	// ErrInvalidAdmin: an administrator name that cannot be used.
	ErrInvalidAdmin = errors.New("invalid administrator name")
)

// maxAdminNameLen is the longest administrator name, in characters: the
// name is recorded as imported_by (at most 100 characters).
const maxAdminNameLen = 64

// Admin is what the store tells about an administrator credential. It
// never holds a secret or a hash.
type Admin struct {
	// Name names the person or office holding the credential, e.g. 李华 or
	// fgw-archive; it is recorded as imported_by of what they import.
	Name string `json:"name"`
	// TokenID is the id of the current token (not secret).
	TokenID   string    `json:"token_id"`
	CreatedAt time.Time `json:"created_at"`
	RotatedAt time.Time `json:"rotated_at,omitzero"`
}

// adminRecord is one administrator in the file. Only the hash is stored.
type adminRecord struct {
	Name          string    `json:"name"`
	TokenID       string    `json:"token_id"`
	TokenHash     string    `json:"token_hash"`
	RetiredTokens []retired `json:"retired_tokens,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	RotatedAt     time.Time `json:"rotated_at,omitzero"`
}

func (a *adminRecord) admin() Admin {
	return Admin{Name: a.Name, TokenID: a.TokenID, CreatedAt: local(a.CreatedAt), RotatedAt: local(a.RotatedAt)}
}

// checkAdminName checks an administrator's name: 1-64 printable
// characters without spaces (it is a command-line argument and the
// imported_by of imports).
func checkAdminName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: the name is empty; expected who holds the credential, e.g. 李华 or fgw-archive", ErrInvalidAdmin)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		return fmt.Errorf("%w: %q has spaces or control characters, or is not UTF-8; expected one word, e.g. 李华 or fgw-archive", ErrInvalidAdmin, name)
	case utf8.RuneCountInString(name) > maxAdminNameLen:
		return fmt.Errorf("%w: %q has %d characters; expected at most %d", ErrInvalidAdmin, name, utf8.RuneCountInString(name), maxAdminNameLen)
	}
	return nil
}

// VerifyAdmin returns the administrator a token belongs to. A token that
// is not a current administrator token gives a *TokenError wrapping
// ErrMalformedToken, ErrUnknownToken or, for a department's token (checked,
// so that the answer says so only to its holder), ErrNotAdmin; any other
// error is the server's problem. As [Store.Verify], the first check of a
// token costs an argon2id hash, later ones a SHA-256.
func (s *Store) VerifyAdmin(token string) (Admin, error) {
	id, secret, err := parseToken(token)
	if err != nil {
		return Admin{}, err
	}
	if err := s.refresh(); err != nil {
		return Admin{}, err
	}
	st := s.current()
	a, ok := st.adminTokens[id]
	if !ok {
		if old, ok := st.adminRetired[id]; ok {
			at := old.at.In(schema.Location()).Format("2006-01-02 15:04")
			return Admin{}, &TokenError{Err: ErrUnknownToken, TokenID: id,
				MessageEn: "administrator token " + id + " of " + old.dept + " was replaced on " + at + " (Asia/Shanghai); use the current one (kpp admin rotate " + old.dept + ")",
				MessageZh: "管理员令牌 " + id + "（" + old.dept + "）已于 " + at + " 更换，旧令牌不再有效；请使用新令牌"}
		}
		if _, isDept := st.byToken[id]; isDept {
			if _, err := s.Verify(token); err == nil {
				return Admin{}, &TokenError{Err: ErrNotAdmin, TokenID: id,
					MessageEn: "token " + id + " is a department's token; this needs an administrator credential (kpp admin add NAME), which departments never hold",
					MessageZh: "令牌 " + id + " 是部门令牌；此操作须使用管理员凭据（由运维人员用 kpp admin add 发放），部门令牌不能使用"}
			}
		}
		return Admin{}, &TokenError{Err: ErrUnknownToken, TokenID: id,
			MessageEn: "token " + id + " is not a known administrator token: never issued, or removed; check the token (kpp admin list shows the current token ids)",
			MessageZh: "令牌 " + id + " 不是有效的管理员令牌：未曾发放或已删除；请核对令牌"}
	}
	sum := sha256.Sum256([]byte(secret))
	if !s.cached(id, a.TokenHash, sum) {
		h, err := passhash.Parse(a.TokenHash)
		if err != nil { // checked when the file was read
			return Admin{}, fmt.Errorf("%w: %s: admin %q: token_hash: %w", ErrFileFormat, s.cfg.Path, a.Name, err)
		}
		s.sem <- struct{}{}
		ok := h.Matches(secret)
		<-s.sem
		if !ok {
			return Admin{}, &TokenError{Err: ErrUnknownToken, TokenID: id,
				MessageEn: "the secret of administrator token " + id + " does not match; check that the whole token was copied, or issue a new one (kpp admin rotate)",
				MessageZh: "管理员令牌 " + id + " 的密钥不正确；请检查是否完整复制了令牌，或重新发放（kpp admin rotate）"}
		}
		s.remember(id, a.TokenHash, sum)
	}
	return a.admin(), nil
}

// AddAdmin adds an administrator credential and returns it with its token,
// which is shown once and stored only as a hash. Adding a name that exists
// is an error wrapping ErrAdminExists.
func (s *Store) AddAdmin(name string) (Admin, string, error) {
	if err := checkAdminName(name); err != nil {
		return Admin{}, "", err
	}
	secret, hash, err := s.newSecret()
	if err != nil {
		return Admin{}, "", err
	}
	var ad Admin
	var token string
	err = s.update(func(d *fileData, now time.Time) error {
		if a := findAdmin(d, name); a != nil {
			return fmt.Errorf("%w: %s is already in %s, token %s; use kpp admin rotate %s to issue a new token", ErrAdminExists, name, s.cfg.Path, a.TokenID, name)
		}
		id, err := s.uniqueTokenID(d)
		if err != nil {
			return err
		}
		a := adminRecord{Name: name, TokenID: id, TokenHash: hash, CreatedAt: now}
		d.Admins = append(d.Admins, a)
		slices.SortFunc(d.Admins, func(x, y adminRecord) int { return cmp.Compare(x.Name, y.Name) })
		ad, token = a.admin(), formatToken(id, secret)
		return nil
	})
	if err != nil {
		return Admin{}, "", err
	}
	s.cfg.Logger.Info("administrator added", "admin", name, "token_id", ad.TokenID, "path", s.cfg.Path)
	return ad, token, nil
}

// RotateAdmin issues a new token for an administrator (shown once); the
// old one is refused from the moment the file is written.
func (s *Store) RotateAdmin(name string) (string, error) {
	secret, hash, err := s.newSecret()
	if err != nil {
		return "", err
	}
	var token string
	err = s.update(func(d *fileData, now time.Time) error {
		a := findAdmin(d, name)
		if a == nil {
			return s.unknownAdmin(name)
		}
		id, err := s.uniqueTokenID(d)
		if err != nil {
			return err
		}
		a.RetiredTokens = append([]retired{{TokenID: a.TokenID, RetiredAt: now}}, a.RetiredTokens...)
		a.RetiredTokens = a.RetiredTokens[:min(len(a.RetiredTokens), maxRetired)]
		a.TokenID, a.TokenHash, a.RotatedAt = id, hash, now
		token = formatToken(id, secret)
		return nil
	})
	if err != nil {
		return "", err
	}
	s.cfg.Logger.Info("administrator token rotated", "admin", name, "token_id", TokenID(token), "path", s.cfg.Path)
	return token, nil
}

// ListAdmins returns every administrator, sorted by name, without secrets.
func (s *Store) ListAdmins() ([]Admin, error) {
	if err := s.refresh(); err != nil {
		return nil, err
	}
	st := s.current()
	out := make([]Admin, 0, len(st.admins))
	for _, a := range st.admins {
		out = append(out, a.admin())
	}
	slices.SortFunc(out, func(a, b Admin) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// RemoveAdmin deletes an administrator credential; its token is refused
// from then on. What it imported stays, with its name as imported_by.
func (s *Store) RemoveAdmin(name string) error {
	err := s.update(func(d *fileData, _ time.Time) error {
		i := slices.IndexFunc(d.Admins, func(a adminRecord) bool { return a.Name == name })
		if i < 0 {
			return s.unknownAdmin(name)
		}
		d.Admins = slices.Delete(d.Admins, i, i+1)
		return nil
	})
	if err == nil {
		s.cfg.Logger.Info("administrator removed", "admin", name, "path", s.cfg.Path)
	}
	return err
}

func findAdmin(d *fileData, name string) *adminRecord {
	for i := range d.Admins {
		if d.Admins[i].Name == name {
			return &d.Admins[i]
		}
	}
	return nil
}

func (s *Store) unknownAdmin(name string) error {
	return fmt.Errorf("%w: %q is not in %s; kpp admin list shows the administrators, kpp admin add adds one", ErrUnknownAdmin, name, s.cfg.Path)
}
