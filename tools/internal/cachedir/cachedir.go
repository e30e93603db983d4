// Package cachedir locates the directory where pinned tool binaries and
// generated schemas are kept between runs, outside the repository.
package cachedir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Env names the variable that overrides the cache location.
const Env = "ASM_READY_CACHE"

// Dir returns ${ASM_READY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asm-ready},
// the directory tools/kube/build.sh uses too. It does not create it.
func Dir() (string, error) {
	if d := os.Getenv(Env); d != "" {
		return filepath.Abs(d)
	}
	user, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w; set %s to a writable directory", err, Env)
	}
	return filepath.Join(user, "asm-ready"), nil
}
