package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/keyproject/kpp/producers/natsauth"
)

// serviceSecretName is the file under --data-dir that holds the plain
// password of kpp serve's NATS user (kpp-service), mode 0600. kpp serve
// writes it the first time its embedded NATS server needs authorization;
// the embedded server gets only its bcrypt hash; the operator's own
// commands on the same machine (kpp submit, rollup, template, dlq replay)
// read it to sign in as kpp-service. See docs/security.md.
const serviceSecretName = "nats-service.secret"

func serviceSecretPath(dataDir string) string { return filepath.Join(dataDir, serviceSecretName) }

// servicePassword is the password of the NATS service user and where it
// came from (for messages; never the password itself).
type servicePassword struct {
	password string
	source   string // "KPP_NATS_PASSWORD" or the file's path; "" when none
}

// lookupServicePassword returns KPP_NATS_PASSWORD when it is set, else the
// password in dataDir's secret file. With create, a missing file is made
// with a new random password (mode 0600, its directory 0700); without it, a
// missing file is no password (source ""). A file that others may read is
// refused: it holds a plain password.
func lookupServicePassword(dataDir string, create bool) (servicePassword, error) {
	if pw := os.Getenv("KPP_NATS_PASSWORD"); pw != "" {
		return servicePassword{password: pw, source: "KPP_NATS_PASSWORD"}, nil
	}
	path := serviceSecretPath(dataDir)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if info, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
			return servicePassword{}, fmt.Errorf("%s has mode %04o: it holds the plain NATS password of %s, so only its owner may read it; expected 0600 (chmod 600 %s)",
				path, info.Mode().Perm(), natsauth.DefaultServiceUser, path)
		}
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return servicePassword{}, fmt.Errorf("%s is empty; expected the NATS password of %s that kpp serve wrote (delete the file and restart kpp serve to make a new one)", path, natsauth.DefaultServiceUser)
		}
		return servicePassword{password: pw, source: path}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return servicePassword{}, fmt.Errorf("read the NATS service password: %w (run as the user of kpp serve, or set KPP_NATS_PASSWORD)", err)
	case !create:
		return servicePassword{}, nil
	}
	pw, _, err := natsauth.NewPassword()
	if err != nil {
		return servicePassword{}, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return servicePassword{}, fmt.Errorf("create the data directory %s: %w", dataDir, err)
	}
	// O_EXCL: two processes starting at once do not overwrite each other's
	// password; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return lookupServicePassword(dataDir, false)
	}
	if err != nil {
		return servicePassword{}, fmt.Errorf("write the NATS service password: %w", err)
	}
	if _, err := f.WriteString(pw + "\n"); err != nil {
		f.Close()
		return servicePassword{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return servicePassword{}, fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return servicePassword{}, fmt.Errorf("write %s: %w", path, err)
	}
	return servicePassword{password: pw, source: path}, nil
}
