package credentials

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keyproject/kpp/internal/passhash"
	"github.com/keyproject/kpp/internal/securefile"
	"github.com/keyproject/kpp/producers/natsauth"
	"github.com/keyproject/kpp/schema"
)

// Department is what the store tells about a department. It never holds a
// secret or a hash.
type Department struct {
	// ID is the department id, e.g. "qy-jtj": the department_id of its
	// events, the token of its NATS subjects and its NATS user name.
	ID string `json:"id"`
	// Name is the department's name for people, e.g. 庆元县交通运输局.
	Name string `json:"name"`
	// TokenID is the id of the current token (not secret).
	TokenID string `json:"token_id"`
	// CreatedAt is when the department was added.
	CreatedAt time.Time `json:"created_at"`
	// RotatedAt is when the current token was issued by a rotation; zero
	// when the first token is still current.
	RotatedAt time.Time `json:"rotated_at,omitzero"`
	// Disabled departments' tokens are refused (ErrDisabled) and they are
	// left out of the NATS configuration.
	Disabled   bool      `json:"disabled"`
	DisabledAt time.Time `json:"disabled_at,omitzero"`
	// NATSUser is the department's NATS user name (its id) when it has a
	// NATS password, else "".
	NATSUser string `json:"nats_user,omitempty"`
	// NATSRotatedAt is when the NATS password was last replaced.
	NATSRotatedAt time.Time `json:"nats_rotated_at,omitzero"`
}

// Issued is what [Store.Add] returns: the department and its secrets,
// which are shown once and stored nowhere.
type Issued struct {
	Department Department
	// Token is the department's intake token, kpp_<id>_<secret>.
	Token string
	// NATSUser and NATSPassword are the department's NATS credentials, for
	// publishing directly (kpp submit) under the generated NATS
	// configuration.
	NATSUser, NATSPassword string
}

// Store is the departments file and the checks of tokens against it. It is
// safe for concurrent use; several processes may share the file (writes
// are locked and atomic, readers reload on change).
type Store struct {
	cfg Config
	sem chan struct{} // bounds concurrent argon2id hashes

	mu sync.RWMutex
	st *state

	cacheMu sync.Mutex
	cache   map[string]verified // token id -> last verified token
}

// state is one loaded version of the file; it is never modified.
type state struct {
	info    fs.FileInfo // nil: the file did not exist
	byID    map[string]*record
	byToken map[string]*record
	retired map[string]retiredToken
}

type retiredToken struct {
	dept string
	at   time.Time
}

// verified is a token that passed argon2id: the hash it passed and the
// SHA-256 of its secret.
type verified struct {
	hash string
	sum  [32]byte
}

// Open opens the departments file at path (empty: [DefaultPath]) with the
// default configuration; see [New].
func Open(path string) (*Store, error) { return New(Config{Path: path}) }

// New opens the departments file of cfg. A missing file is an empty store
// (every token is refused) that the first Add creates; a file that cannot
// be read, is not the expected JSON or may be written by others is an
// error.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrentHashes), st: &state{}, cache: map[string]verified{}}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the departments file's path.
func (s *Store) Path() string { return s.cfg.Path }

// Reload reads the departments file again. Verify, List and Get do it
// themselves when the file changed; call it to check the file now.
func (s *Store) Reload() error {
	d, info, err := readFile(s.cfg.Path)
	if err != nil {
		return err
	}
	st := &state{info: info, byID: map[string]*record{}, byToken: map[string]*record{}, retired: map[string]retiredToken{}}
	if d != nil {
		for i := range d.Departments {
			r := &d.Departments[i]
			st.byID[r.ID], st.byToken[r.TokenID] = r, r
			for _, old := range r.RetiredTokens {
				st.retired[old.TokenID] = retiredToken{dept: r.ID, at: old.RetiredAt}
			}
		}
	}
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
	s.cacheMu.Lock()
	clear(s.cache)
	s.cacheMu.Unlock()
	log := s.cfg.Logger.With("path", s.cfg.Path)
	if info == nil {
		log.Info("departments file does not exist; no department can sign in until `kpp dept add` creates it")
		return nil
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o044 != 0 {
		log.Warn("departments file is readable by other users; expected mode 0600", "mode", fmt.Sprintf("%04o", info.Mode().Perm()))
	}
	log.Info("departments file loaded", "departments", len(st.byID))
	return nil
}

// refresh reloads the file when it is not the version loaded.
func (s *Store) refresh() error {
	info, err := os.Stat(s.cfg.Path)
	if errors.Is(err, fs.ErrNotExist) {
		info, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("departments file: %w", err)
	}
	if sameVersion(s.current().info, info) {
		return nil
	}
	return s.Reload()
}

func (s *Store) current() *state {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st
}

// Verify returns the department a token belongs to. A token that does not
// authenticate gives a *TokenError wrapping ErrMalformedToken,
// ErrUnknownToken or ErrDisabled, whose messages say what to do and never
// repeat the secret; any other error (the file cannot be read) is the
// server's problem, not the caller's. Surrounding white space is ignored.
//
// The first check of a token costs an argon2id hash; later checks of the
// same token a SHA-256, until the file changes.
func (s *Store) Verify(token string) (Department, error) {
	id, secret, err := parseToken(token)
	if err != nil {
		return Department{}, err
	}
	if err := s.refresh(); err != nil {
		return Department{}, err
	}
	st := s.current()
	r, ok := st.byToken[id]
	if !ok {
		if old, ok := st.retired[id]; ok {
			at := old.at.In(schema.Location()).Format("2006-01-02 15:04")
			return Department{}, &TokenError{Err: ErrUnknownToken, TokenID: id,
				MessageEn: "token " + id + " of department " + old.dept + " was replaced on " + at + " (Asia/Shanghai) by a new one; use the department's current token, which the operator issued with kpp dept rotate",
				MessageZh: "令牌 " + id + "（部门 " + old.dept + "）已于 " + at + " 更换，旧令牌不再有效；请使用管理员新发放的令牌"}
		}
		return Department{}, &TokenError{Err: ErrUnknownToken, TokenID: id,
			MessageEn: "token " + id + " is not known: it was never issued, or its department was removed; check the token, or ask the operator for the department's token (kpp dept list shows the current token ids)",
			MessageZh: "令牌 " + id + " 不存在：未曾发放，或其部门已被删除；请核对令牌，或向管理员索取本部门的令牌"}
	}
	sum := sha256.Sum256([]byte(secret))
	if !s.cached(id, r.TokenHash, sum) {
		h, err := passhash.Parse(r.TokenHash)
		if err != nil { // checked when the file was read
			return Department{}, fmt.Errorf("%w: %s: department %q: token_hash: %w", ErrFileFormat, s.cfg.Path, r.ID, err)
		}
		s.sem <- struct{}{}
		ok := h.Matches(secret)
		<-s.sem
		if !ok {
			return Department{}, &TokenError{Err: ErrUnknownToken, TokenID: id,
				MessageEn: "the secret of token " + id + " does not match; check that the whole token was copied, or ask the operator for a new one (kpp dept rotate)",
				MessageZh: "令牌 " + id + " 的密钥不正确；请检查是否完整复制了令牌，或请管理员重新发放"}
		}
		s.remember(id, r.TokenHash, sum)
	}
	if !r.DisabledAt.IsZero() {
		at := r.DisabledAt.In(schema.Location()).Format("2006-01-02 15:04")
		return Department{}, &TokenError{Err: ErrDisabled, TokenID: id,
			MessageEn: "department " + r.ID + " has been disabled since " + at + " (Asia/Shanghai); ask the operator to enable it (kpp dept enable)",
			MessageZh: "部门 " + r.ID + " 已于 " + at + " 停用；如需恢复请联系管理员"}
	}
	return r.department(), nil
}

func (s *Store) cached(id, hash string, sum [32]byte) bool {
	s.cacheMu.Lock()
	v, ok := s.cache[id]
	s.cacheMu.Unlock()
	return ok && v.hash == hash && subtle.ConstantTimeCompare(v.sum[:], sum[:]) == 1
}

func (s *Store) remember(id, hash string, sum [32]byte) {
	s.cacheMu.Lock()
	s.cache[id] = verified{hash: hash, sum: sum}
	s.cacheMu.Unlock()
}

// List returns every department, sorted by id, without secrets or hashes.
func (s *Store) List() ([]Department, error) {
	if err := s.refresh(); err != nil {
		return nil, err
	}
	st := s.current()
	out := make([]Department, 0, len(st.byID))
	for _, r := range st.byID {
		out = append(out, r.department())
	}
	slices.SortFunc(out, func(a, b Department) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Get returns one department, or an error wrapping ErrUnknownDepartment.
func (s *Store) Get(dept string) (Department, error) {
	if err := s.refresh(); err != nil {
		return Department{}, err
	}
	r, ok := s.current().byID[dept]
	if !ok {
		return Department{}, s.unknown(dept)
	}
	return r.department(), nil
}

// NATSDepartments returns the NATS users of the enabled departments that
// have a NATS password, sorted by id, for natsauth.Config.Departments.
func (s *Store) NATSDepartments() ([]natsauth.Department, error) {
	if err := s.refresh(); err != nil {
		return nil, err
	}
	var out []natsauth.Department
	for _, r := range s.current().byID {
		if r.NATSPasswordBcrypt != "" && r.DisabledAt.IsZero() {
			out = append(out, natsauth.Department{ID: r.ID, PasswordHash: r.NATSPasswordBcrypt})
		}
	}
	slices.SortFunc(out, func(a, b natsauth.Department) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Add adds a department with a new token and a new NATS password, and
// returns them: they are shown once and stored only as hashes. The id must
// be a schema identifier (lower-case letters, digits, - and _), the name
// is for people (e.g. 庆元县交通运输局). Adding a department that exists is
// an error wrapping ErrDepartmentExists.
func (s *Store) Add(dept, name string) (Issued, error) {
	name = strings.TrimSpace(name)
	if err := checkDepartment(dept, name); err != nil {
		return Issued{}, err
	}
	secret, hash, err := s.newSecret()
	if err != nil {
		return Issued{}, err
	}
	natsPassword, natsHash, err := natsauth.NewPassword()
	if err != nil {
		return Issued{}, err
	}
	var iss Issued
	err = s.update(func(d *fileData, now time.Time) error {
		if r := find(d, dept); r != nil {
			return fmt.Errorf("%w: %s (%s) is already in %s, token %s, added %s; use kpp dept rotate --department %s to issue a new token",
				ErrDepartmentExists, dept, r.Name, s.cfg.Path, r.TokenID, r.CreatedAt.In(schema.Location()).Format("2006-01-02"), dept)
		}
		id, err := s.uniqueTokenID(d)
		if err != nil {
			return err
		}
		r := record{ID: dept, Name: name, TokenID: id, TokenHash: hash, NATSPasswordBcrypt: natsHash, CreatedAt: now}
		d.Departments = append(d.Departments, r)
		slices.SortFunc(d.Departments, func(a, b record) int { return cmp.Compare(a.ID, b.ID) })
		iss = Issued{Department: r.department(), Token: formatToken(id, secret), NATSUser: dept, NATSPassword: natsPassword}
		return nil
	})
	if err != nil {
		return Issued{}, err
	}
	s.cfg.Logger.Info("department added", "department", dept, "token_id", iss.Department.TokenID, "path", s.cfg.Path)
	return iss, nil
}

// Rotate issues a new token for a department and returns it (shown once).
// The old token is refused from the moment the file is written, by this
// store and by every other process's at its next Verify, with a message
// saying it was replaced.
func (s *Store) Rotate(dept string) (string, error) {
	secret, hash, err := s.newSecret()
	if err != nil {
		return "", err
	}
	var token, old string
	err = s.update(func(d *fileData, now time.Time) error {
		r := find(d, dept)
		if r == nil {
			return s.unknown(dept)
		}
		id, err := s.uniqueTokenID(d)
		if err != nil {
			return err
		}
		old = r.TokenID
		r.RetiredTokens = append([]retired{{TokenID: r.TokenID, RetiredAt: now}}, r.RetiredTokens...)
		r.RetiredTokens = r.RetiredTokens[:min(len(r.RetiredTokens), maxRetired)]
		r.TokenID, r.TokenHash, r.RotatedAt = id, hash, now
		token = formatToken(id, secret)
		return nil
	})
	if err != nil {
		return "", err
	}
	s.cfg.Logger.Info("department token rotated", "department", dept, "token_id", TokenID(token), "old_token_id", old, "path", s.cfg.Path)
	return token, nil
}

// RotateNATS issues a new NATS password for a department and returns it
// (shown once). It takes effect when the NATS configuration is generated
// again (kpp nats-config) and the server reloads it.
func (s *Store) RotateNATS(dept string) (string, error) {
	password, hash, err := natsauth.NewPassword()
	if err != nil {
		return "", err
	}
	err = s.update(func(d *fileData, now time.Time) error {
		r := find(d, dept)
		if r == nil {
			return s.unknown(dept)
		}
		r.NATSPasswordBcrypt, r.NATSRotatedAt = hash, now
		return nil
	})
	if err != nil {
		return "", err
	}
	s.cfg.Logger.Info("department NATS password rotated", "department", dept, "path", s.cfg.Path)
	return password, nil
}

// Disable refuses the department's token (ErrDisabled) and leaves the
// department out of the NATS configuration, keeping its record; Enable
// undoes it. Disabling a disabled department changes nothing.
func (s *Store) Disable(dept string) error { return s.setDisabled(dept, true) }

// Enable accepts a disabled department's token again.
func (s *Store) Enable(dept string) error { return s.setDisabled(dept, false) }

func (s *Store) setDisabled(dept string, off bool) error {
	err := s.update(func(d *fileData, now time.Time) error {
		r := find(d, dept)
		switch {
		case r == nil:
			return s.unknown(dept)
		case off && r.DisabledAt.IsZero():
			r.DisabledAt = now
		case !off:
			r.DisabledAt = time.Time{}
		}
		return nil
	})
	if err == nil {
		s.cfg.Logger.Info("department disabled or enabled", "department", dept, "disabled", off, "path", s.cfg.Path)
	}
	return err
}

// Remove deletes a department and its credentials from the file. Its
// reports stay in NATS and ClickHouse; adding it again issues new
// credentials.
func (s *Store) Remove(dept string) error {
	err := s.update(func(d *fileData, _ time.Time) error {
		i := slices.IndexFunc(d.Departments, func(r record) bool { return r.ID == dept })
		if i < 0 {
			return s.unknown(dept)
		}
		d.Departments = slices.Delete(d.Departments, i, i+1)
		return nil
	})
	if err == nil {
		s.cfg.Logger.Info("department removed", "department", dept, "path", s.cfg.Path)
	}
	return err
}

// update changes the file under its lock: it reads the current file (so
// that changes by other processes are kept), applies f, writes the file
// atomically and loads it.
func (s *Store) update(f func(d *fileData, now time.Time) error) error {
	if err := os.MkdirAll(filepath.Dir(s.cfg.Path), 0o700); err != nil {
		return fmt.Errorf("create the directory of the departments file: %w", err)
	}
	unlock, err := securefile.Lock(s.cfg.Path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	d, _, err := readFile(s.cfg.Path)
	if err != nil {
		return err
	}
	if d == nil {
		d = &fileData{Departments: []record{}}
	}
	if err := f(d, s.cfg.now()); err != nil {
		return err
	}
	if err := writeFile(s.cfg.Path, d); err != nil {
		return err
	}
	return s.Reload()
}

func (s *Store) unknown(dept string) error {
	return fmt.Errorf("%w: %q is not in %s; kpp dept list shows the departments, kpp dept add adds one", ErrUnknownDepartment, dept, s.cfg.Path)
}

// newSecret returns a new token secret and its argon2id hash.
func (s *Store) newSecret() (secret, hash string, err error) {
	if secret, err = newSecret(s.cfg.Rand); err != nil {
		return "", "", err
	}
	if hash, err = passhash.Hash(s.cfg.Rand, s.cfg.Argon2, secret); err != nil {
		return "", "", err
	}
	return secret, hash, nil
}

// uniqueTokenID returns a token id used by no department, current or
// retired, in the file.
func (s *Store) uniqueTokenID(d *fileData) (string, error) {
	used := map[string]bool{}
	for _, r := range d.Departments {
		used[r.TokenID] = true
		for _, old := range r.RetiredTokens {
			used[old.TokenID] = true
		}
	}
	for range 100 {
		id, err := newTokenID(s.cfg.Rand)
		if err != nil {
			return "", err
		}
		if !used[id] {
			return id, nil
		}
	}
	return "", errors.New("credentials: no unused token id after 100 random draws; is the random source broken?")
}

func find(d *fileData, dept string) *record {
	for i := range d.Departments {
		if d.Departments[i].ID == dept {
			return &d.Departments[i]
		}
	}
	return nil
}

func (r *record) department() Department {
	d := Department{ID: r.ID, Name: r.Name, TokenID: r.TokenID, CreatedAt: local(r.CreatedAt), RotatedAt: local(r.RotatedAt),
		Disabled: !r.DisabledAt.IsZero(), DisabledAt: local(r.DisabledAt), NATSRotatedAt: local(r.NATSRotatedAt)}
	if r.NATSPasswordBcrypt != "" {
		d.NATSUser = r.ID
	}
	return d
}

// local returns t in Asia/Shanghai; the zero time stays zero.
func local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(schema.Location())
}

// maxNameLen is the longest department name, in characters.
const maxNameLen = 100

// checkDepartment checks a department id and name.
func checkDepartment(id, name string) error {
	switch {
	case !schema.ValidIdentifier(id):
		return fmt.Errorf("%w: id %q: expected lower-case letters, digits, '-' or '_' (at most 64, starting with a letter or digit), e.g. qy-jtj — it is the department_id of the reports and a NATS subject token", ErrInvalidDepartment, id)
	case id == natsauth.DefaultServiceUser:
		return fmt.Errorf("%w: id %q is the NATS user of kpp serve; choose another id", ErrInvalidDepartment, id)
	case name == "":
		return fmt.Errorf("%w: %s has no name; expected the department's name for people, e.g. 庆元县交通运输局", ErrInvalidDepartment, id)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("%w: the name of %s has control characters or is not UTF-8; expected printable text", ErrInvalidDepartment, id)
	case utf8.RuneCountInString(name) > maxNameLen:
		return fmt.Errorf("%w: the name of %s has %d characters; expected at most %d", ErrInvalidDepartment, id, utf8.RuneCountInString(name), maxNameLen)
	}
	return nil
}
