package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"time"

	"github.com/keyproject/kpp/internal/passhash"
	"github.com/keyproject/kpp/internal/securefile"
	"github.com/keyproject/kpp/producers/natsauth"
)

// fileFormatID names the format of the departments file.
const fileFormatID = "kpp.departments.v1"

// maxRetired is how many replaced token ids a department keeps, so that an
// old token is refused with "replaced on …" instead of "not known".
const maxRetired = 10

// fileData is the departments file.
type fileData struct {
	Format      string   `json:"format"`
	Note        string   `json:"note,omitempty"`
	Departments []record `json:"departments"`
}

// record is one department in the file. Only hashes are stored.
type record struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	TokenID   string `json:"token_id"`
	TokenHash string `json:"token_hash"`
	// RetiredTokens are the ids of tokens replaced by rotations, newest
	// first.
	RetiredTokens []retired `json:"retired_tokens,omitempty"`
	// NATSPasswordBcrypt is the bcrypt hash of the department's NATS
	// password.
	NATSPasswordBcrypt string    `json:"nats_password_bcrypt,omitempty"`
	CreatedAt          time.Time `json:"created_at"`
	RotatedAt          time.Time `json:"rotated_at,omitzero"`
	NATSRotatedAt      time.Time `json:"nats_rotated_at,omitzero"`
	DisabledAt         time.Time `json:"disabled_at,omitzero"`
}

type retired struct {
	TokenID   string    `json:"token_id"`
	RetiredAt time.Time `json:"retired_at"`
}

const fileNote = "kpp departments: managed by `kpp dept add|rotate|list`; holds hashes only (argon2id tokens, bcrypt NATS passwords). See docs/security.md."

// readFile reads and checks the departments file. A missing file is
// (nil, nil, nil).
func readFile(path string) (*fileData, fs.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open departments file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("departments file %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o022 != 0 {
		return nil, nil, fmt.Errorf("%w: %s has mode %04o: others may write it and so add a department; expected 0600 (chmod 600 %s)",
			ErrInsecureFile, path, info.Mode().Perm(), path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read departments file %s: %w", path, err)
	}
	d, err := decode(path, b)
	if err != nil {
		return nil, nil, err
	}
	return d, info, nil
}

func decode(path string, b []byte) (*fileData, error) {
	var d fileData
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %s: %w; expected the JSON written by kpp dept (see docs/security.md)", ErrFileFormat, path, err)
	}
	if d.Format != fileFormatID {
		return nil, fmt.Errorf("%w: %s: format %q; expected %q", ErrFileFormat, path, d.Format, fileFormatID)
	}
	ids, tokens := map[string]bool{}, map[string]bool{}
	for i, r := range d.Departments {
		where := fmt.Sprintf("%s: department %d (%q)", path, i+1, r.ID)
		if err := checkDepartment(r.ID, r.Name); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrFileFormat, where, err)
		}
		if ids[r.ID] {
			return nil, fmt.Errorf("%w: %s: listed twice; expected one entry per department", ErrFileFormat, where)
		}
		ids[r.ID] = true
		if len(r.TokenID) != tokenIDLen || !isLowerHex(r.TokenID) || tokens[r.TokenID] {
			return nil, fmt.Errorf("%w: %s: token_id %q; expected 12 lower-case hex digits, unique in the file", ErrFileFormat, where, r.TokenID)
		}
		tokens[r.TokenID] = true
		if _, err := passhash.Parse(r.TokenHash); err != nil {
			return nil, fmt.Errorf("%w: %s: token_hash: %w", ErrFileFormat, where, err)
		}
		if r.NATSPasswordBcrypt != "" && !natsauth.IsPasswordHash(r.NATSPasswordBcrypt) {
			return nil, fmt.Errorf("%w: %s: nats_password_bcrypt is not a bcrypt hash; expected \"$2a$…\" (never a plain password)", ErrFileFormat, where)
		}
	}
	return &d, nil
}

// writeFile replaces the departments file atomically (a temporary file,
// mode 0600, synced and renamed over it).
func writeFile(path string, d *fileData) error {
	d.Format, d.Note = fileFormatID, fileNote
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode departments file: %w", err)
	}
	if err := securefile.WriteAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("departments file: %w", err)
	}
	return nil
}

// sameVersion reports whether two stats are of the same version of the
// file: the same file (a rename makes a new one), size and modification
// time. Two missing files are the same version.
func sameVersion(a, b fs.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
