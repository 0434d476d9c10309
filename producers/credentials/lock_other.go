//go:build !unix

package credentials

import (
	"fmt"
	"os"
)

// lockFile creates the lock file but cannot lock it on this platform: run
// one kpp dept command at a time.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock departments file: %w", err)
	}
	return func() { _ = f.Close() }, nil
}
