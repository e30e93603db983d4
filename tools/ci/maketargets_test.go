// Lists the targets a Makefile defines, as make itself reads them
// (includes, variables and all), from `make -p`'s database.

package ci

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A target line in the database: a name without spaces, colons or '=',
// then one or two colons and not `:=` (which is a variable).
var makeTargetLine = regexp.MustCompile(`^([^\s#:=%.][^\s:=%]*)::?(?:\s|$)`)

// makeCommand returns make with args, to run on the Makefile in dir. A
// caller's MAKEFLAGS (e.g. -n, -j, from `make test`) must not change what
// make prints, so they are cleared.
func makeCommand(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("make", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MFLAGS=")
	return cmd
}

// listMakeTargets runs `make -pRrq` in dir and returns the explicit targets
// of the Makefile there. Built-in rules are disabled (-R -r) so only the
// Makefile's own targets appear; -q runs no recipe.
func listMakeTargets(dir string) (map[string]bool, error) {
	cmd := makeCommand(dir, "-pRrq", "--no-print-directory")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// -q exits 1 when the default goal is out of date; only 2 means make failed.
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		return nil, fmt.Errorf("make -p in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return parseMakeDatabase(stdout.Bytes())
}

// parseMakeDatabase reads make's database (-p output) and returns its targets.
// Entries make prints under "# Not a target:" (files it only considered) are
// skipped.
func parseMakeDatabase(db []byte) (map[string]bool, error) {
	targets := map[string]bool{}
	inFiles, notTarget := false, false
	sc := bufio.NewScanner(bytes.NewReader(db))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "# Files":
			inFiles = true
			continue
		case strings.HasPrefix(line, "# Finished Make data base"), strings.HasPrefix(line, "# files hash-table stats"):
			inFiles = false
		case line == "# Not a target:":
			notTarget = true
			continue
		}
		if !inFiles {
			continue
		}
		if notTarget { // this line is the entry make only considered
			notTarget = false
			continue
		}
		if m := makeTargetLine.FindStringSubmatch(line); m != nil {
			targets[m[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("make -p printed no targets; is there a Makefile?")
	}
	return targets, nil
}

func TestListMakeTargets(t *testing.T) {
	dir := t.TempDir()
	mk := `include extra.mk
VAR := value
OTHER ::= x
.PHONY: build test
build: ## Build.
	@echo build
test lint: build
	@echo $@
$(VAR)-target:
	@echo v
%.o: %.c
	cc -c $<
`
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.mk"), []byte("included:\n\t@true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := listMakeTargets(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"build", "test", "lint", "value-target", "included"} {
		if !got[want] {
			t.Errorf("target %q missing from %v", want, got)
		}
	}
	for _, not := range []string{"VAR", "OTHER", ".PHONY", "Makefile", "extra.mk", "%.o"} {
		if got[not] {
			t.Errorf("%q listed as a target", not)
		}
	}
}

func TestListMakeTargetsFails(t *testing.T) {
	dir := t.TempDir()
	if _, err := listMakeTargets(dir); err == nil {
		t.Fatal("no Makefile: want an error")
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte("include missing.mk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := listMakeTargets(dir); err == nil || !strings.Contains(err.Error(), "missing.mk") {
		t.Fatalf("broken include: want an error naming it, got %v", err)
	}
}

func TestParseMakeDatabase(t *testing.T) {
	db := `# Variables
VAR := x
build: not-in-files-section
# Files
# Not a target:
Makefile:
#  Implicit rule search has not been done.

real:
#  Phony target (prerequisite of .PHONY).
	@echo

two:: a
# Not a target:
.DEFAULT:
after-dot:
`
	got, err := parseMakeDatabase([]byte(db))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"after-dot", "real", "two"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %q in %v", w, got)
		}
	}
	if _, err := parseMakeDatabase([]byte("# Files\n")); err == nil {
		t.Fatal("empty database: want an error")
	}
}
