// Package cachedir locates the directory where pinned tool binaries and
// generated schemas are kept between runs, outside the repository.
package cachedir

import (
	"errors"
	"os"
	"path/filepath"
)

// Env names the variable that overrides the cache location.
const Env = "ASM_READY_CACHE"

// Dir returns ${ASM_READY_CACHE:-$HOME/.cache/asm-ready}. It does not create it.
func Dir() (string, error) {
	if d := os.Getenv(Env); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", errors.New("cache directory: neither " + Env + " nor HOME is set; set " + Env + " to a writable directory")
	}
	return filepath.Join(home, ".cache", "asm-ready"), nil
}
