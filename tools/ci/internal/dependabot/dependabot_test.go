package dependabot

import (
	"strings"
	"testing"
	"testing/fstest"
)

const good = `version: 2
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

func repo(files ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for _, f := range files {
		m[f] = &fstest.MapFile{}
	}
	return m
}

func TestCheck(t *testing.T) {
	base := []string{"a/go.mod", "a/Dockerfile", "b/c/go.mod", "a/testdata/x/go.mod", ".git/go.mod", "README.md"}
	tests := []struct {
		name   string
		config string
		files  []string
		want   []string
	}{
		{"covered", good, base, nil},
		{"new module", good, append(base, "d/go.mod"), []string{`/d has a go.mod but no gomod entry in dependabot.yml; add "/d"`}},
		{"new Dockerfile", good, append(base, "b/c/Dockerfile"), []string{`/b/c has a Dockerfile but no docker entry`}},
		{"stale entry", good, []string{"a/go.mod", "a/Dockerfile"}, []string{`gomod entry "/b/c": no go.mod there`}},
		{"no actions entry", strings.Replace(good, "github-actions", "npm", 1), base, []string{"no github-actions entry"}},
		{"no group", strings.Replace(good, `    groups: {docker: {patterns: ["*"]}}`+"\n", "", 1), base, []string{"updates[2] (docker): no groups"}},
		{"no schedule", strings.Replace(good, "    directory: /a\n    schedule: {interval: weekly}\n", "    directory: /a\n", 1), base, []string{"updates[2] (docker): no schedule.interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Check(repo(tt.files...))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("want %d problem(s) %q, got %q", len(tt.want), tt.want, got)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"version: 1\nupdates: []\n", "version: 2\nupdates: {\n", "version: two\n"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
