// Package ci tests the repository itself: its GitHub workflows (actionlint,
// pinned actions, hygiene, which commands they run, that the make targets
// they call exist), Dependabot's coverage, the Makefile's help and the
// services' .dockerignore files. Each check also runs over a bad fixture, in
// testdata/ or written by its test, to prove it can fail.
//
// Every file here is a _test.go file: the checks and their helpers are test
// code, which no binary imports.
package ci

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// Commands each workflow may run directly besides make and shell plumbing.
// CI runs nothing else: every check is a make target that `make test` runs
// too. e2e and release drive a cluster, a registry and GitHub itself.
var directCommands = map[string][]string{
	"ci.yaml":      nil,
	"e2e.yaml":     {"docker", "kind", "kubectl"},
	"release.yaml": {"gh", "helm", "kubectl"},
}

// Go modules the CI matrix does not build, with the job that does.
var wrapperModules = map[string]string{
	"tools/kube":      localNode,
	"tools/kube/node": localNode,
	"tools/skaffold":  "built by `make skaffold-render` in the skaffold job",
}

// localNode marks the modules of the local test node's binaries: GitHub
// runs the e2e on kind, so no workflow builds them (nor caches their go.sum).
const localNode = "built only by `make cluster-bins` for the local test node"

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".github", "workflows")); err != nil {
		t.Fatalf("repository root %s has no .github/workflows: %v", root, err)
	}
	return root
}

// check runs every workflow check over the files, with make targets read
// from the Makefile in makeDir, and returns the findings by check name.
func check(t *testing.T, files []string, makeDir string) map[string][]finding {
	t.Helper()
	out := map[string][]finding{}
	lint, err := lintWorkflows(files)
	if err != nil {
		t.Fatal(err)
	}
	out["actionlint"] = lint
	targets, err := listMakeTargets(makeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		wf, err := loadWorkflow(f)
		if err != nil {
			out["parse"] = append(out["parse"], finding{File: f, Message: err.Error()})
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out["pins"] = append(out["pins"], checkPins(wf, src)...)
		out["hygiene"] = append(out["hygiene"], checkHygiene(wf)...)
		calls, cmds := checkCommands(wf, allowedCommands(directCommands[filepath.Base(f)]...))
		out["commands"] = append(out["commands"], cmds...)
		out["make-targets"] = append(out["make-targets"], missingTargets(calls, targets)...)
	}
	return out
}

func TestWorkflows(t *testing.T) {
	root := repoRoot(t)
	files, err := workflowFiles(filepath.Join(root, ".github", "workflows"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ci.yaml", "e2e.yaml", "release.yaml"} {
		if _, err := os.Stat(filepath.Join(root, ".github", "workflows", want)); err != nil {
			t.Errorf("workflow %s missing: %v", want, err)
		}
	}
	found := check(t, files, root)
	for _, name := range []string{"parse", "actionlint", "pins", "hygiene", "commands", "make-targets"} {
		t.Run(name, func(t *testing.T) {
			for _, f := range found[name] {
				t.Error(f.String())
			}
		})
	}
}

// Each bad fixture must fail the check it was written for.
func TestBadFixtures(t *testing.T) {
	tests := []struct{ fixture, check, want string }{
		{"unpinned.yaml", "pins", `"actions/checkout@v6" is not pinned`},
		{"missing-target.yaml", "make-targets", "make test-everything: no such target"},
		{"direct-go.yaml", "commands", `"go" is run directly`},
		{"actionlint-error.yaml", "actionlint", `property "nope" is not defined`},
		{"actionlint-error.yaml", "actionlint", `property "missing" is not defined`},
		{"no-timeout.yaml", "hygiene", "job j has no timeout-minutes"},
		{"no-timeout.yaml", "hygiene", `top-level permissions "write-all"`},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.check, func(t *testing.T) {
			found := check(t, []string{filepath.Join("testdata", "workflows", tt.fixture)}, "testdata")
			msgs := findingMessages(found[tt.check])
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Fatalf("check %s: want a finding containing %q, got %q", tt.check, tt.want, msgs)
			}
		})
	}
}

// repoDirsWith returns the repository's directories, relative to root,
// that hold a file named name (see dirsWith for what is skipped).
func repoDirsWith(t *testing.T, root, name string) map[string]bool {
	t.Helper()
	dirs, err := dirsWith(os.DirFS(root), name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for d := range dirs {
		out[strings.TrimPrefix(d, "/")] = true
	}
	return out
}

// repoWorkflows loads every workflow in the repository's .github/workflows.
func repoWorkflows(t *testing.T, root string) []*workflow {
	t.Helper()
	files, err := workflowFiles(filepath.Join(root, ".github", "workflows"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*workflow
	for _, f := range files {
		wf, err := loadWorkflow(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, wf)
	}
	return out
}

// diff returns what want has that got lacks, and the reverse, sorted.
func diff(want, got map[string]bool) (missing, extra []string) {
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func TestDiff(t *testing.T) {
	m, e := diff(map[string]bool{"a": true, "b": true}, map[string]bool{"b": true, "c": true})
	if strings.Join(m, ",") != "a" || strings.Join(e, ",") != "c" {
		t.Fatalf("missing %q extra %q", m, e)
	}
}

func loadCI(t *testing.T, root string) *workflow {
	t.Helper()
	wf, err := loadWorkflow(filepath.Join(root, ".github", "workflows", "ci.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return wf
}

// The Go job's matrix builds every module but the wrapper modules, so a new
// module cannot be added without CI building and testing it.
func TestCIMatrixCoversEveryModule(t *testing.T) {
	root := repoRoot(t)
	job := loadCI(t, root).AST.Jobs["go"]
	if job == nil || job.Strategy == nil || job.Strategy.Matrix == nil || job.Strategy.Matrix.Rows["module"] == nil {
		t.Fatal("ci.yaml: job go has no strategy.matrix.module")
	}
	got := map[string]bool{}
	for _, v := range job.Strategy.Matrix.Rows["module"].Values {
		s, ok := v.(*actionlint.RawYAMLString)
		if !ok {
			t.Fatalf("ci.yaml: matrix.module entry %v is not a string", v)
		}
		got[s.Value] = true
	}
	want := repoDirsWith(t, root, "go.mod")
	for m := range wrapperModules {
		delete(want, m)
	}
	missing, extra := diff(want, got)
	for _, m := range missing {
		t.Errorf("module %s is not in ci.yaml's go matrix; add it (or to wrapperModules in this test with the job that builds it)", m)
	}
	for _, m := range extra {
		t.Errorf("ci.yaml's go matrix lists %s, which has no go.mod", m)
	}
}

// Every actions/setup-go step reads the Go version from go.work and keys its
// module and build cache on the go.sum of every module a workflow builds.
func TestSetupGoCachesEveryGoSum(t *testing.T) {
	root := repoRoot(t)
	want := map[string]bool{}
	for d := range repoDirsWith(t, root, "go.sum") {
		if wrapperModules[d] != localNode {
			want[d+"/go.sum"] = true
		}
	}
	steps := 0
	for _, wf := range repoWorkflows(t, root) {
		for id, job := range wf.AST.Jobs {
			for _, s := range job.Steps {
				a, ok := s.Exec.(*actionlint.ExecAction)
				if !ok || !strings.HasPrefix(a.Uses.Value, "actions/setup-go@") {
					continue
				}
				steps++
				where := filepath.Base(wf.Path) + " job " + id
				if in := a.Inputs["go-version-file"]; in == nil || in.Value.Value != "go.work" {
					t.Errorf("%s: setup-go needs go-version-file: go.work", where)
				}
				got := map[string]bool{}
				if in := a.Inputs["cache-dependency-path"]; in != nil {
					for _, l := range strings.Fields(in.Value.Value) {
						got[l] = true
					}
				}
				if missing, _ := diff(want, got); len(missing) > 0 {
					t.Errorf("%s: cache-dependency-path lacks %q", where, missing)
				}
				for l := range got {
					if _, err := os.Stat(filepath.Join(root, l)); err != nil {
						t.Errorf("%s: cache-dependency-path lists %s, which does not exist", where, l)
					}
				}
			}
		}
	}
	if steps == 0 {
		t.Fatal("no actions/setup-go step in any workflow")
	}
}

// Only the meshcheck job may write security events (the SARIF upload), and
// only release jobs may write packages, contents or pull requests.
func TestWritePermissionsScoped(t *testing.T) {
	root := repoRoot(t)
	allowed := map[string]map[string]bool{
		"ci.yaml/meshcheck":    {"security-events": true},
		"release.yaml/images":  {"packages": true, "id-token": true, "attestations": true},
		"release.yaml/publish": {"packages": true, "contents": true},
		"release.yaml/pin":     {"contents": true, "pull-requests": true},
	}
	for _, wf := range repoWorkflows(t, root) {
		for id, job := range wf.AST.Jobs {
			if job.Permissions == nil {
				continue
			}
			key := filepath.Base(wf.Path) + "/" + id
			for scope, p := range job.Permissions.Scopes {
				if p.Value != nil && p.Value.Value == "write" && !allowed[key][scope] {
					t.Errorf("%s: %s: write is not expected here; grant write only where a step needs it", key, scope)
				}
			}
		}
	}
}

func TestDependabotCoversRepository(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, ".github", "dependabot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseDependabot(b)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := c.checkCoverage(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// undocumented returns the targets of the Makefile in dir that `make help`
// does not list. File targets (paths) are not commands and are left out.
func undocumented(t *testing.T, dir string) []string {
	t.Helper()
	targets, err := listMakeTargets(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := makeCommand(dir, "-s", "help").Output()
	if err != nil {
		t.Fatalf("make help in %s: %v", dir, err)
	}
	listed := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			listed[f[0]] = true
		}
	}
	var missing []string
	for name := range targets {
		if !strings.Contains(name, "/") && !listed[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	return missing
}

// `make help` is how a user finds a target: it must list every one.
func TestMakeHelpListsEveryTarget(t *testing.T) {
	root := repoRoot(t)
	if missing := undocumented(t, root); len(missing) > 0 {
		t.Errorf("make help does not list %v: give each a `## description`", missing)
	}
	// The same check fails on a target without a description.
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := append(makefile, "\n.PHONY: undocumented-2\nundocumented-2:\n\t@true\n"...)
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if missing := undocumented(t, dir); !slices.Equal(missing, []string{"undocumented-2"}) {
		t.Errorf("a target without ## was reported as %v, want [undocumented-2]", missing)
	}
}
