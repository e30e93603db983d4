// Package deps makes sure the programs the benchmark drives are present:
// Debian packages are installed with apt-get when missing (as root), and
// Go tools are built from this module's pinned `tool` directives.
package deps

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Debian is a program and the Debian package that ships it.
type Debian struct {
	Program string // looked up in PATH, then /usr/sbin and /usr/bin
	Package string
}

// System is what Ensure needs from the machine; tests replace it.
type System struct {
	LookPath func(string) (string, error)
	IsRoot   bool
	// Run runs a command with its output going to the progress log.
	Run func(name string, args ...string) error
}

// Host returns the real machine.
func Host(log io.Writer) System {
	return System{
		LookPath: lookPath,
		IsRoot:   os.Geteuid() == 0,
		Run: func(name string, args ...string) error {
			cmd := exec.Command(name, args...)
			cmd.Stdout, cmd.Stderr = log, log
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			return cmd.Run()
		},
	}
}

// lookPath also searches the sbin directories a non-root PATH lacks
// (nginx lives in /usr/sbin).
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// Ensure returns the path of every program in need, installing the missing
// ones' packages with one `apt-get install -y` when running as root (with
// `apt-get update` first if the install cannot find a package). Not as root,
// it fails with a line naming the packages to install.
func Ensure(sys System, need []Debian) (map[string]string, error) {
	paths := map[string]string{}
	var missing []Debian
	for _, d := range need {
		if p, err := sys.LookPath(d.Program); err == nil {
			paths[d.Program] = p
		} else {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return paths, nil
	}
	var pkgs, progs []string
	for _, d := range missing {
		pkgs = append(pkgs, d.Package)
		progs = append(progs, d.Program)
	}
	install := "apt-get install -y " + strings.Join(pkgs, " ")
	if !sys.IsRoot {
		return nil, fmt.Errorf("%s not found: install the Debian package(s) with `sudo %s`, or run make bench as root", strings.Join(progs, ", "), install)
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)
	if err := sys.Run("apt-get", args...); err != nil {
		// A fresh machine has no package lists yet.
		if err := sys.Run("apt-get", "update"); err != nil {
			return nil, fmt.Errorf("apt-get update failed (%v): cannot install %s", err, strings.Join(pkgs, " "))
		}
		if err := sys.Run("apt-get", args...); err != nil {
			return nil, fmt.Errorf("`%s` failed: %v", install, err)
		}
	}
	var errs []error
	for _, d := range missing {
		p, err := sys.LookPath(d.Program)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s still not found after installing the Debian package %s", d.Program, d.Package))
			continue
		}
		paths[d.Program] = p
	}
	return paths, errors.Join(errs...)
}
