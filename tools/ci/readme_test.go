package ci

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	readmeMake   = regexp.MustCompile("(?m)(?:^|`)make ([a-z0-9-]+)")
	relativeLink = regexp.MustCompile(`\]\(([^)#:]+)(?:#[^)]*)?\)`)
)

// readmeProblems returns each `make TARGET` the text names that the
// Makefile in makeDir lacks, and each relative link that does not exist
// under root.
func readmeProblems(t *testing.T, text, root, makeDir string) []string {
	t.Helper()
	targets, err := listMakeTargets(makeDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range readmeMake.FindAllStringSubmatch(text, -1) {
		if !targets[m[1]] {
			out = append(out, "make "+m[1]+": no such target")
		}
	}
	for _, m := range relativeLink.FindAllStringSubmatch(text, -1) {
		if _, err := os.Stat(filepath.Join(root, m[1])); err != nil {
			out = append(out, "link "+m[1]+": "+err.Error())
		}
	}
	return out
}

// The README is the front door: every make command and file it names exists.
func TestReadmeNamesWhatExists(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range readmeProblems(t, string(readme), root, root) {
		t.Error("README.md: " + p)
	}
	// The same check fails on a renamed target and a moved file.
	bad := "Run `make tests`, then read [the guide](docs/guide.md).\n"
	got := readmeProblems(t, bad, root, root)
	if len(got) != 2 || !strings.HasPrefix(got[0], "make tests") || !strings.HasPrefix(got[1], "link docs/guide.md") {
		t.Errorf("a bad README gave %q, want a missing target and a missing link", got)
	}
}
