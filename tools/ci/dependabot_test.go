// Checks that .github/dependabot.yml covers every Go module and every
// Dockerfile in the repository, so a new module cannot be added without
// Dependabot watching it.

package ci

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	yaml "go.yaml.in/yaml/v4"
)

// dependabotConfig is the part of dependabot.yml these checks read.
type dependabotConfig struct {
	Version int                `yaml:"version"`
	Updates []dependabotUpdate `yaml:"updates"`
}

// dependabotUpdate is one `updates:` entry.
type dependabotUpdate struct {
	Ecosystem   string   `yaml:"package-ecosystem"`
	Directory   string   `yaml:"directory"`
	Directories []string `yaml:"directories"`
	Schedule    struct {
		Interval string `yaml:"interval"`
	} `yaml:"schedule"`
	Groups map[string]any `yaml:"groups"`
}

// parseDependabot decodes dependabot.yml. Keys these checks do not read
// (ignore, labels, ...) are left to Dependabot.
func parseDependabot(b []byte) (*dependabotConfig, error) {
	var c dependabotConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("dependabot.yml: %w", err)
	}
	if c.Version != 2 {
		return nil, fmt.Errorf("dependabot.yml: version %d; only 2 is supported", c.Version)
	}
	return &c, nil
}

// dirs returns the directories (repository-relative, "/"-rooted as
// Dependabot writes them) that entries of ecosystem cover.
func (c *dependabotConfig) dirs(ecosystem string) map[string]bool {
	out := map[string]bool{}
	for _, u := range c.Updates {
		if u.Ecosystem != ecosystem {
			continue
		}
		if u.Directory != "" {
			out[dependabotDir(u.Directory)] = true
		}
		for _, d := range u.Directories {
			out[dependabotDir(d)] = true
		}
	}
	return out
}

// dependabotDir writes a directory the way Dependabot does: "/"-rooted, clean.
func dependabotDir(d string) string { return path.Clean("/" + strings.TrimPrefix(d, "/")) }

// checkCoverage compares the config with the repository: every directory
// holding a go.mod needs a gomod entry, every directory holding a Dockerfile a
// docker entry, and the repository root a github-actions entry; an entry for a
// directory that has no such file is stale. Every entry needs a schedule and a
// group (one PR per ecosystem and week, not one per dependency).
func (c *dependabotConfig) checkCoverage(repo fs.FS) ([]string, error) {
	mods, err := dirsWith(repo, "go.mod")
	if err != nil {
		return nil, err
	}
	dockerfiles, err := dirsWith(repo, "Dockerfile")
	if err != nil {
		return nil, err
	}
	var problems []string
	problems = append(problems, compareCoverage("gomod", "go.mod", mods, c.dirs("gomod"))...)
	problems = append(problems, compareCoverage("docker", "Dockerfile", dockerfiles, c.dirs("docker"))...)
	if !c.dirs("github-actions")["/"] {
		problems = append(problems, `no github-actions entry with directory "/"; add one so pinned action SHAs get updates`)
	}
	for i, u := range c.Updates {
		if u.Schedule.Interval == "" {
			problems = append(problems, fmt.Sprintf("updates[%d] (%s): no schedule.interval", i, u.Ecosystem))
		}
		if len(u.Groups) == 0 {
			problems = append(problems, fmt.Sprintf("updates[%d] (%s): no groups; group updates into one PR per ecosystem", i, u.Ecosystem))
		}
	}
	return problems, nil
}

// compareCoverage reports directories holding file that no entry of
// ecosystem covers, and entries naming a directory without one.
func compareCoverage(ecosystem, file string, have, covered map[string]bool) []string {
	uncovered, stale := diff(have, covered)
	var out []string
	for _, d := range uncovered {
		out = append(out, fmt.Sprintf("%s has a %s but no %s entry in dependabot.yml; add %q to its directories", d, file, ecosystem, d))
	}
	for _, d := range stale {
		out = append(out, fmt.Sprintf("dependabot.yml %s entry %q: no %s there; remove it or fix the path", ecosystem, d, file))
	}
	return out
}

// dirsWith walks repo and returns the "/"-rooted directories holding a file
// named name. testdata trees, hidden directories and bin/ are skipped: their
// files are fixtures or build output, not dependencies.
func dirsWith(repo fs.FS, name string) (map[string]bool, error) {
	out := map[string]bool{}
	err := fs.WalkDir(repo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if p != "." && (base == "testdata" || base == "bin" || base == "node_modules" || strings.HasPrefix(base, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == name {
			out[dependabotDir(path.Dir(p))] = true
		}
		return nil
	})
	return out, err
}

const goodDependabot = `version: 2
updates:
  - package-ecosystem: gomod
    directories: [/a, /b/c]
    schedule: {interval: weekly}
    groups: {go: {patterns: ["*"]}}
  - package-ecosystem: github-actions
    directory: /
    schedule: {interval: weekly}
    groups: {actions: {patterns: ["*"]}}
  - package-ecosystem: docker
    directory: /a
    schedule: {interval: weekly}
    groups: {docker: {patterns: ["*"]}}
`

// fakeRepo is a repository tree holding the named empty files.
func fakeRepo(files ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for _, f := range files {
		m[f] = &fstest.MapFile{}
	}
	return m
}

func TestDependabotCoverage(t *testing.T) {
	base := []string{"a/go.mod", "a/Dockerfile", "b/c/go.mod", "a/testdata/x/go.mod", ".git/go.mod", "README.md"}
	tests := []struct {
		name   string
		config string
		files  []string
		want   []string
	}{
		{"covered", goodDependabot, base, nil},
		{"new module", goodDependabot, append(base, "d/go.mod"), []string{`/d has a go.mod but no gomod entry in dependabot.yml; add "/d"`}},
		{"new Dockerfile", goodDependabot, append(base, "b/c/Dockerfile"), []string{`/b/c has a Dockerfile but no docker entry`}},
		{"stale entry", goodDependabot, []string{"a/go.mod", "a/Dockerfile"}, []string{`gomod entry "/b/c": no go.mod there`}},
		{"no actions entry", strings.Replace(goodDependabot, "github-actions", "npm", 1), base, []string{"no github-actions entry"}},
		{"no group", strings.Replace(goodDependabot, `    groups: {docker: {patterns: ["*"]}}`+"\n", "", 1), base, []string{"updates[2] (docker): no groups"}},
		{"no schedule", strings.Replace(goodDependabot, "    directory: /a\n    schedule: {interval: weekly}\n", "    directory: /a\n", 1), base, []string{"updates[2] (docker): no schedule.interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseDependabot([]byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.checkCoverage(fakeRepo(tt.files...))
			if err != nil {
				t.Fatal(err)
			}
			wantEach(t, got, tt.want)
		})
	}
}

func TestParseDependabotErrors(t *testing.T) {
	for _, bad := range []string{"version: 1\nupdates: []\n", "version: 2\nupdates: {\n", "version: two\n"} {
		if _, err := parseDependabot([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
