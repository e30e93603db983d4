// Package repo finds the asm-ready repository root from any directory inside it.
package repo

import (
	"fmt"
	"os"
	"path/filepath"
)

// marker is a file only the repository root has.
const marker = "skaffold.yaml"

// Root walks up from dir until it finds the directory holding skaffold.yaml
// and a charts directory.
func Root(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if isRoot(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("repository root: no directory above %s holds %s and charts/", abs, marker)
		}
	}
}

func isRoot(d string) bool {
	if fi, err := os.Stat(filepath.Join(d, marker)); err != nil || fi.IsDir() {
		return false
	}
	fi, err := os.Stat(filepath.Join(d, "charts"))
	return err == nil && fi.IsDir()
}
