package overlays

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestDocsNameWhatExists: the make targets, files and overlays the
// overlays, gitops and chart READMEs name exist, and the overlays table
// lists every overlay.
func TestDocsNameWhatExists(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join(root(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`).FindAllStringSubmatch(string(makefile), -1) {
		targets = append(targets, m[1])
	}
	for _, doc := range []string{"overlays/README.md", "gitops/README.md", "charts/asm-ready/README.md"} {
		data, err := os.ReadFile(filepath.Join(root(t), doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("`make ([a-z][a-z0-9-]*)").FindAllStringSubmatch(string(data), -1) {
			if !slices.Contains(targets, m[1]) {
				t.Errorf("%s runs make %s, which the Makefile lacks", doc, m[1])
			}
		}
		for _, m := range regexp.MustCompile(`\b((?:gitops|overlays|services|charts)/[A-Za-z0-9_./-]*[A-Za-z0-9_])`).FindAllStringSubmatch(string(data), -1) {
			if _, err := os.Stat(filepath.Join(root(t), m[1])); err != nil {
				t.Errorf("%s names %s, which does not exist", doc, m[1])
			}
		}
	}

	data, err := os.ReadFile(filepath.Join(root(t), "overlays", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)/` \\|").FindAllStringSubmatch(string(data), -1) {
		listed = append(listed, m[1])
	}
	dirs, err := filepath.Glob(filepath.Join(root(t), "overlays", "*", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range dirs {
		want = append(want, filepath.Base(filepath.Dir(d)))
	}
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("overlays/README.md's table lists %v, the overlays are %v", listed, want)
	}
}
