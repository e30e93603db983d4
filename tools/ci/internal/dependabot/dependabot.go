// Package dependabot checks that .github/dependabot.yml covers every Go
// module and every Dockerfile in the repository, so a new module cannot be
// added without Dependabot watching it.
package dependabot

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// Config is the part of dependabot.yml this package reads.
type Config struct {
	Version int      `yaml:"version"`
	Updates []Update `yaml:"updates"`
}

// Update is one `updates:` entry.
type Update struct {
	Ecosystem   string   `yaml:"package-ecosystem"`
	Directory   string   `yaml:"directory"`
	Directories []string `yaml:"directories"`
	Schedule    struct {
		Interval string `yaml:"interval"`
	} `yaml:"schedule"`
	Groups map[string]any `yaml:"groups"`
}

// Parse decodes dependabot.yml. Keys this package does not read (ignore,
// labels, ...) are left to Dependabot.
func Parse(b []byte) (*Config, error) {
	var c Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("dependabot.yml: %w", err)
	}
	if c.Version != 2 {
		return nil, fmt.Errorf("dependabot.yml: version %d; only 2 is supported", c.Version)
	}
	return &c, nil
}

// Dirs returns the directories (repository-relative, "/"-rooted as
// Dependabot writes them) that entries of ecosystem cover.
func (c *Config) Dirs(ecosystem string) map[string]bool {
	out := map[string]bool{}
	for _, u := range c.Updates {
		if u.Ecosystem != ecosystem {
			continue
		}
		if u.Directory != "" {
			out[clean(u.Directory)] = true
		}
		for _, d := range u.Directories {
			out[clean(d)] = true
		}
	}
	return out
}

func clean(d string) string { return path.Clean("/" + strings.TrimPrefix(d, "/")) }

// Check compares the config with the repository: every directory holding a
// go.mod needs a gomod entry, every directory holding a Dockerfile a docker
// entry, and the repository root a github-actions entry; an entry for a
// directory that has no such file is stale. Every entry needs a schedule and
// a group (one PR per ecosystem and week, not one per dependency).
func (c *Config) Check(repo fs.FS) ([]string, error) {
	mods, err := DirsWith(repo, "go.mod")
	if err != nil {
		return nil, err
	}
	dockerfiles, err := DirsWith(repo, "Dockerfile")
	if err != nil {
		return nil, err
	}
	var problems []string
	problems = append(problems, compare("gomod", "go.mod", mods, c.Dirs("gomod"))...)
	problems = append(problems, compare("docker", "Dockerfile", dockerfiles, c.Dirs("docker"))...)
	if !c.Dirs("github-actions")["/"] {
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

func compare(ecosystem, file string, have, covered map[string]bool) []string {
	var out []string
	for _, d := range slices.Sorted(maps.Keys(have)) {
		if !covered[d] {
			out = append(out, fmt.Sprintf("%s has a %s but no %s entry in dependabot.yml; add %q to its directories", d, file, ecosystem, d))
		}
	}
	for _, d := range slices.Sorted(maps.Keys(covered)) {
		if !have[d] {
			out = append(out, fmt.Sprintf("dependabot.yml %s entry %q: no %s there; remove it or fix the path", ecosystem, d, file))
		}
	}
	return out
}

// DirsWith walks repo and returns the "/"-rooted directories holding a file
// named name. testdata trees, hidden directories and bin/ are skipped: their
// files are fixtures or build output, not dependencies.
func DirsWith(repo fs.FS, name string) (map[string]bool, error) {
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
			out[clean(path.Dir(p))] = true
		}
		return nil
	})
	return out, err
}
