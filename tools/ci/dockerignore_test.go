package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// buildInputs lists, relative to the module in dir, the files `go build .`
// reads there: go.mod, go.sum and the non-test Go files of every package of
// the module that the binary imports.
func buildInputs(t *testing.T, dir string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{end}}{{end}}", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list in %s: %v\n%s", dir, err, out)
	}
	files := []string{"go.mod", "go.sum"}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		rel, err := filepath.Rel(dir, fields[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields[1:] {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	return files
}

// excluded returns the files the .dockerignore patterns leave out of the
// build context, matched the way BuildKit's context transfer does.
func excluded(t *testing.T, ignore string, files []string) []string {
	t.Helper()
	patterns, err := ignorefile.ReadAll(strings.NewReader(ignore))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if skip, err := pm.MatchesOrParentMatches(f); err != nil {
			t.Fatal(err)
		} else if skip {
			out = append(out, f)
		}
	}
	return out
}

// The services' .dockerignore files are allow-lists, so a new package
// directory is silently left out of the image build until it is listed.
// `go build` in the image then fails, far from the change that caused it.
func TestDockerignoreKeepsEveryBuildInput(t *testing.T) {
	root := repoRoot(t)
	for _, svc := range []string{"helloserver", "loadgen"} {
		t.Run(svc, func(t *testing.T) {
			dir := filepath.Join(root, "services", svc)
			files := buildInputs(t, dir)
			ignore, err := os.ReadFile(filepath.Join(dir, ".dockerignore"))
			if err != nil {
				t.Fatal(err)
			}
			if missing := excluded(t, string(ignore), files); len(missing) > 0 {
				t.Errorf("services/%s/.dockerignore leaves out files the build needs: %v; add their directories as !DIR", svc, missing)
			}
			// The same check fails on an allow-list that forgets a package.
			if missing := excluded(t, "*\n!go.mod\n!go.sum\n!*.go\n", files); len(missing) == 0 {
				t.Errorf("an allow-list without the package directories excluded nothing from %v", files)
			}
		})
	}
}
