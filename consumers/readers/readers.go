// Package readers keeps the accounts of the people who read the reviews
// on kpp serve's report pages: leaders (领导) and readers (查阅人员). Each
// account has a name, a role and a password that kpp makes (32 random
// characters, shown once); the readers file keeps only its argon2id hash
// (internal/passhash, the same parameters as the department tokens).
//
// The file is JSON, default .kpp/readers.json ([DefaultPath]), mode 0600,
// replaced atomically under a lock (internal/securefile). Every [Store.Verify]
// and [Store.Get] first compares the file's identity, size and
// modification time with the version loaded and reloads it when they
// differ, so `kpp reader rotate` or `remove` in another process takes
// effect in a running kpp serve at its next request.
package readers

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/keyproject/kpp/internal/passhash"
	"github.com/keyproject/kpp/internal/securefile"
	"github.com/keyproject/kpp/schema"
)

// DefaultPath is the readers file's default path, beside the departments
// file.
const DefaultPath = ".kpp/readers.json"

// The roles. Both read every review page and download; leader is the role
// that actions which change a board require.
const (
	RoleLeader = "leader"
	RoleReader = "reader"
)

// Sentinel errors; callers use errors.Is.
var (
	// ErrRefused: the name is not an account, or the password is not its
	// current one. Which of the two is not said to the person signing in.
	ErrRefused = errors.New("account or password refused")
	// ErrUnknown: no account of that name (management commands).
	ErrUnknown = errors.New("unknown reader account")
	// ErrExists: Add of a name that is already an account.
	ErrExists = errors.New("reader account already exists")
	// ErrInvalid: a name or role that cannot be used.
	ErrInvalid = errors.New("invalid reader account")
	// ErrFile: the readers file cannot be used (format, mode).
	ErrFile = errors.New("readers file")
)

// Account is what the store tells about an account; never a secret.
type Account struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	RotatedAt time.Time `json:"rotated_at,omitzero"`
	// Version changes whenever the password does: a session made with an
	// older version is no longer valid.
	Version string `json:"-"`
}

// Config configures a [Store]. Only Path is usually set.
type Config struct {
	// Path of the readers file. Default [DefaultPath]. A missing file is
	// an empty store.
	Path string
	// Argon2 are the parameters of new password hashes. Default
	// passhash.Default.
	Argon2 passhash.Params
	// MaxConcurrentHashes bounds the argon2id hashes computed at once by
	// Verify. Default 2.
	MaxConcurrentHashes int
	// Now is the clock of created_at and rotated_at. Default time.Now.
	Now func() time.Time
	// Rand is the source of passwords and salts. Default crypto/rand.
	Rand io.Reader
	// Logger receives changes and reloads. Default slog.Default().
	Logger *slog.Logger
}

const fileFormatID = "kpp.readers.v1"

const fileNote = "kpp readers of the review pages: managed by `kpp reader add|rotate|list|remove`; holds argon2id hashes only. See docs/security.md."

type fileData struct {
	Format   string   `json:"format"`
	Note     string   `json:"note,omitempty"`
	Accounts []record `json:"accounts"`
}

type record struct {
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	PasswordHash string    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
	RotatedAt    time.Time `json:"rotated_at,omitzero"`
}

// Store is the readers file. It is safe for concurrent use and may be
// shared by several processes.
type Store struct {
	cfg Config
	sem chan struct{}

	mu   sync.Mutex
	info fs.FileInfo // of the version loaded; nil: no file
	byID map[string]record
	// verified remembers, in memory only, the SHA-256 of the last password
	// that passed argon2id per account, so that a script sending it with
	// every request costs a SHA-256.
	verified map[string]verifiedPassword
}

type verifiedPassword struct {
	hash string
	sum  [32]byte
}

// New opens the readers file of cfg.
func New(cfg Config) (*Store, error) {
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if cfg.Argon2 == (passhash.Params{}) {
		cfg.Argon2 = passhash.Default
	}
	if err := cfg.Argon2.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if cfg.MaxConcurrentHashes < 1 {
		cfg.MaxConcurrentHashes = 2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrentHashes), verified: map[string]verifiedPassword{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the readers file's path.
func (s *Store) Path() string { return s.cfg.Path }

// Verify returns the account when password is its current password, or an
// error wrapping ErrRefused. Other errors are the server's (the file
// cannot be read). The first check of a password costs an argon2id hash,
// later checks of the same password a SHA-256, until it changes.
func (s *Store) Verify(name, password string) (Account, error) {
	r, err := s.lookup(name)
	if errors.Is(err, ErrUnknown) || (err == nil && password == "") {
		// Cost the same as a wrong password: do not tell names apart by time.
		s.sem <- struct{}{}
		_, _ = passhash.Hash(s.cfg.Rand, s.cfg.Argon2, password)
		<-s.sem
		return Account{}, fmt.Errorf("%w: %q", ErrRefused, name)
	}
	if err != nil {
		return Account{}, err
	}
	sum := sha256.Sum256([]byte(password))
	s.mu.Lock()
	v, ok := s.verified[r.Name]
	s.mu.Unlock()
	if ok && v.hash == r.PasswordHash && subtle.ConstantTimeCompare(v.sum[:], sum[:]) == 1 {
		return r.account(), nil
	}
	h, err := passhash.Parse(r.PasswordHash)
	if err != nil {
		return Account{}, fmt.Errorf("%w: %s: account %q: password_hash: %w", ErrFile, s.cfg.Path, r.Name, err)
	}
	s.sem <- struct{}{}
	match := h.Matches(password)
	<-s.sem
	if !match {
		return Account{}, fmt.Errorf("%w: %q", ErrRefused, name)
	}
	s.mu.Lock()
	s.verified[r.Name] = verifiedPassword{hash: r.PasswordHash, sum: sum}
	s.mu.Unlock()
	return r.account(), nil
}

// Get returns the account as it is now, or an error wrapping ErrUnknown.
// A session checks it on every request: its Version tells whether the
// password was rotated since the sign-in.
func (s *Store) Get(name string) (Account, error) {
	r, err := s.lookup(name)
	if err != nil {
		return Account{}, err
	}
	return r.account(), nil
}

// List returns every account sorted by name.
func (s *Store) List() ([]Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refreshLocked(); err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(s.byID))
	for _, r := range s.byID {
		out = append(out, r.account())
	}
	slices.SortFunc(out, func(a, b Account) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Store) lookup(name string) (record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refreshLocked(); err != nil {
		return record{}, err
	}
	r, ok := s.byID[name]
	if !ok {
		return record{}, fmt.Errorf("%w: %q is not in %s; kpp reader list shows the accounts, kpp reader add adds one", ErrUnknown, name, s.cfg.Path)
	}
	return r, nil
}

// Add adds an account with a new password and returns the password, which
// is shown once and stored only as a hash.
func (s *Store) Add(name, role string) (string, error) {
	if err := checkAccount(name, role); err != nil {
		return "", err
	}
	password, hash, err := s.newPassword()
	if err != nil {
		return "", err
	}
	err = s.update(func(d *fileData, now time.Time) error {
		if slices.ContainsFunc(d.Accounts, func(r record) bool { return r.Name == name }) {
			return fmt.Errorf("%w: %q is already in %s; kpp reader rotate %s issues a new password", ErrExists, name, s.cfg.Path, name)
		}
		d.Accounts = append(d.Accounts, record{Name: name, Role: role, PasswordHash: hash, CreatedAt: now})
		return nil
	})
	if err != nil {
		return "", err
	}
	s.cfg.Logger.Info("reader account added", "name", name, "role", role, "path", s.cfg.Path)
	return password, nil
}

// Rotate issues a new password (and, when role is not empty, sets the
// role). The old password, and every session signed in with it, is
// refused from the moment the file is written.
func (s *Store) Rotate(name, role string) (string, error) {
	if role != "" {
		if err := checkAccount(name, role); err != nil {
			return "", err
		}
	}
	password, hash, err := s.newPassword()
	if err != nil {
		return "", err
	}
	err = s.update(func(d *fileData, now time.Time) error {
		i := slices.IndexFunc(d.Accounts, func(r record) bool { return r.Name == name })
		if i < 0 {
			return fmt.Errorf("%w: %q is not in %s; kpp reader add adds it", ErrUnknown, name, s.cfg.Path)
		}
		d.Accounts[i].PasswordHash, d.Accounts[i].RotatedAt = hash, now
		if role != "" {
			d.Accounts[i].Role = role
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	s.cfg.Logger.Info("reader password rotated", "name", name, "path", s.cfg.Path)
	return password, nil
}

// Remove deletes an account; its sessions end at their next request.
func (s *Store) Remove(name string) error {
	err := s.update(func(d *fileData, _ time.Time) error {
		i := slices.IndexFunc(d.Accounts, func(r record) bool { return r.Name == name })
		if i < 0 {
			return fmt.Errorf("%w: %q is not in %s; kpp reader list shows the accounts", ErrUnknown, name, s.cfg.Path)
		}
		d.Accounts = slices.Delete(d.Accounts, i, i+1)
		return nil
	})
	if err == nil {
		s.cfg.Logger.Info("reader account removed", "name", name, "path", s.cfg.Path)
	}
	return err
}

// passwordBytes is the entropy of a password: 24 random bytes, 32 URL-safe
// characters.
const passwordBytes = 24

func (s *Store) newPassword() (password, hash string, err error) {
	b := make([]byte, passwordBytes)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", "", fmt.Errorf("read random bytes for a password: %w", err)
	}
	password = base64.RawURLEncoding.EncodeToString(b)
	if hash, err = passhash.Hash(s.cfg.Rand, s.cfg.Argon2, password); err != nil {
		return "", "", err
	}
	return password, hash, nil
}

// update changes the file under its lock: read, change, write atomically,
// load.
func (s *Store) update(f func(d *fileData, now time.Time) error) error {
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
		d = &fileData{Accounts: []record{}}
	}
	if err := f(d, s.cfg.Now().In(schema.Location()).Truncate(time.Second)); err != nil {
		return err
	}
	slices.SortFunc(d.Accounts, func(a, b record) int { return cmp.Compare(a.Name, b.Name) })
	d.Format, d.Note = fileFormatID, fileNote
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode readers file: %w", err)
	}
	if err := securefile.WriteAtomic(s.cfg.Path, append(b, '\n')); err != nil {
		return fmt.Errorf("readers file: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloadLocked()
}

func (s *Store) refreshLocked() error {
	info, err := os.Stat(s.cfg.Path)
	if errors.Is(err, fs.ErrNotExist) {
		info, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("readers file: %w", err)
	}
	if s.info == nil && info == nil {
		return nil
	}
	if s.info != nil && info != nil && os.SameFile(s.info, info) && s.info.Size() == info.Size() && s.info.ModTime().Equal(info.ModTime()) {
		return nil
	}
	return s.reloadLocked()
}

func (s *Store) reloadLocked() error {
	d, info, err := readFile(s.cfg.Path)
	if err != nil {
		return err
	}
	s.info, s.byID = info, map[string]record{}
	clear(s.verified)
	if d != nil {
		for _, r := range d.Accounts {
			s.byID[r.Name] = r
		}
	}
	return nil
}

// readFile reads and checks the readers file; a missing file is nil.
func readFile(path string) (*fileData, fs.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open readers file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("readers file %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o022 != 0 {
		return nil, nil, fmt.Errorf("%w: %s has mode %04o: others may write it and so add an account; expected 0600 (chmod 600 %s)",
			ErrFile, path, info.Mode().Perm(), path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read readers file %s: %w", path, err)
	}
	var d fileData
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w; expected the JSON written by kpp reader (see docs/security.md)", ErrFile, path, err)
	}
	if d.Format != fileFormatID {
		return nil, nil, fmt.Errorf("%w: %s: format %q; expected %q", ErrFile, path, d.Format, fileFormatID)
	}
	seen := map[string]bool{}
	for i, r := range d.Accounts {
		where := fmt.Sprintf("%s: account %d (%q)", path, i+1, r.Name)
		if err := checkAccount(r.Name, r.Role); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrFile, where, err)
		}
		if seen[r.Name] {
			return nil, nil, fmt.Errorf("%w: %s: listed twice", ErrFile, where)
		}
		seen[r.Name] = true
		if _, err := passhash.Parse(r.PasswordHash); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: password_hash: %w (never a plain password)", ErrFile, where, err)
		}
	}
	return &d, info, nil
}

func checkAccount(name, role string) error {
	if !schema.ValidIdentifier(name) {
		return fmt.Errorf("%w: name %q: expected lower-case letters, digits, '-' or '_' (at most 64, starting with a letter or digit), e.g. zhang-wei", ErrInvalid, name)
	}
	if role != RoleLeader && role != RoleReader {
		return fmt.Errorf("%w: role %q of %s: expected %s (领导) or %s (查阅人员)", ErrInvalid, role, name, RoleLeader, RoleReader)
	}
	return nil
}

func (r record) account() Account {
	sum := sha256.Sum256([]byte(r.PasswordHash))
	a := Account{Name: r.Name, Role: r.Role, CreatedAt: r.CreatedAt, RotatedAt: r.RotatedAt, Version: hex.EncodeToString(sum[:8])}
	if !a.CreatedAt.IsZero() {
		a.CreatedAt = a.CreatedAt.In(schema.Location())
	}
	if !a.RotatedAt.IsZero() {
		a.RotatedAt = a.RotatedAt.In(schema.Location())
	}
	return a
}
