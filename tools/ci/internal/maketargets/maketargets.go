// Package maketargets lists the targets a Makefile defines, as make itself
// reads them (includes, variables and all), from `make -p`'s database.
package maketargets

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// A target line in the database: a name without spaces, colons or '=',
// then one or two colons and not `:=` (which is a variable).
var targetLine = regexp.MustCompile(`^([^\s#:=%.][^\s:=%]*)::?(?:\s|$)`)

// List runs `make -pRrq` in dir and returns the explicit targets of the
// Makefile there. Built-in rules are disabled (-R -r) so only the Makefile's
// own targets appear; -q runs no recipe.
func List(dir string) (map[string]bool, error) {
	cmd := exec.Command("make", "-pRrq", "--no-print-directory")
	cmd.Dir = dir
	// A caller's MAKEFLAGS (e.g. -n, -j) must not change what is printed.
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MFLAGS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// -q exits 1 when the default goal is out of date; only 2 means make failed.
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		return nil, fmt.Errorf("make -p in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return Parse(stdout.Bytes())
}

// Parse reads make's database (-p output) and returns its targets. Entries
// make prints under "# Not a target:" (files it only considered) are skipped.
func Parse(db []byte) (map[string]bool, error) {
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
		if m := targetLine.FindStringSubmatch(line); m != nil {
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
