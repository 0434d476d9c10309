// Package securefile writes the small files that hold credentials — the
// departments file, the readers file — so that a reader never sees half
// a file and two writers do not lose each other's change: an atomic
// replacement with mode 0600, and an exclusive lock beside the file.
package securefile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// WriteAtomic replaces path with b: a temporary file in the same
// directory (created with 0700 when missing), mode 0600, synced, renamed
// over path, and the directory synced. A crash leaves the old file.
func WriteAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the directory of %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if dirf, err := os.Open(dir); err == nil {
		_ = dirf.Sync() // not supported everywhere; the rename is done
		_ = dirf.Close()
	}
	return nil
}
