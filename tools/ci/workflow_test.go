// Checks of GitHub Actions workflow files for what this repository requires
// of them beyond being valid: actions pinned by commit, a timeout on every
// job and least-privilege permissions (this file), and project commands run
// only through make targets that exist (commands_test.go). Validity itself
// is actionlint's job (see lintWorkflows).

package ci

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// finding is one problem at a place in a workflow file.
type finding struct {
	File    string
	Line    int
	Message string
}

func (f finding) String() string {
	return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message)
}

// workflow is a parsed workflow file.
type workflow struct {
	Path string
	AST  *actionlint.Workflow
}

// loadWorkflow parses one workflow file. A file actionlint cannot parse is
// an error naming the file and the first problem.
func loadWorkflow(path string) (*workflow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	wf, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s:%d:%d: %s", path, errs[0].Line, errs[0].Column, errs[0].Message)
	}
	return &workflow{Path: path, AST: wf}, nil
}

// workflowFiles lists the workflow files (.yaml and .yml) in dir, sorted.
func workflowFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if ext := filepath.Ext(e.Name()); ext == ".yaml" || ext == ".yml" {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// lintWorkflows runs actionlint over the files. Shellcheck and pyflakes are
// disabled on purpose: they would make the result depend on what happens to be
// on PATH. Run scripts are instead parsed as bash by checkCommands.
func lintWorkflows(paths []string) ([]finding, error) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: "", Pyflakes: ""})
	if err != nil {
		return nil, err
	}
	var out []finding
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		errs, err := l.Lint(p, b, nil)
		if err != nil {
			return nil, err
		}
		for _, e := range errs {
			out = append(out, finding{File: p, Line: e.Line, Message: fmt.Sprintf("actionlint [%s] %s", e.Kind, e.Message)})
		}
	}
	return out, nil
}

var (
	shaRef = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// The version comment after a pinned ref, e.g. "# v4.2.2".
	versionComment = regexp.MustCompile(`#\s*v\d+(\.\d+){0,2}\b`)
	imageDigest    = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
)

// checkPins reports every `uses:` that is not pinned to a full 40-hex commit
// SHA followed by a `# vX.Y.Z` comment. Local actions (./...) are the
// repository's own code at the commit being run, so they are exempt; docker://
// images are not (a tag can move), and must be pinned by @sha256 digest.
func checkPins(wf *workflow, src []byte) []finding {
	lines := strings.Split(string(src), "\n")
	var out []finding
	checkUses := func(u *actionlint.String) {
		if u == nil {
			return
		}
		v := u.Value
		line := 0
		if u.Pos != nil {
			line = u.Pos.Line
		}
		switch {
		case strings.HasPrefix(v, "./"):
			return
		case strings.HasPrefix(v, "docker://"):
			if !imageDigest.MatchString(v) {
				out = append(out, finding{wf.Path, line, fmt.Sprintf("uses: %q is a container image not pinned by digest; use docker://image@sha256:<64 hex>", v)})
			}
			return
		}
		at := strings.LastIndex(v, "@")
		if at < 0 || !shaRef.MatchString(v[at+1:]) {
			out = append(out, finding{wf.Path, line, fmt.Sprintf("uses: %q is not pinned to a full 40-hex commit SHA; write owner/repo@<sha> # vX.Y.Z", v)})
			return
		}
		if line > 0 && line <= len(lines) && !versionComment.MatchString(lines[line-1]) {
			out = append(out, finding{wf.Path, line, fmt.Sprintf("uses: %q has no version comment; append # vX.Y.Z naming the release the SHA is", v)})
		}
	}
	for _, id := range jobIDs(wf) {
		j := wf.AST.Jobs[id]
		if j.WorkflowCall != nil {
			checkUses(j.WorkflowCall.Uses)
		}
		for _, s := range j.Steps {
			if a, ok := s.Exec.(*actionlint.ExecAction); ok {
				checkUses(a.Uses)
			}
		}
	}
	return out
}

// checkHygiene reports jobs without timeout-minutes, a workflow whose top-level
// permissions are not exactly `contents: read`, and any `write-all`.
func checkHygiene(wf *workflow) []finding {
	var out []finding
	p := wf.AST.Permissions
	switch {
	case p == nil:
		out = append(out, finding{wf.Path, 1, "no top-level permissions; set `permissions: contents: read` and grant more per job"})
	case p.All != nil:
		out = append(out, finding{wf.Path, p.Pos.Line, fmt.Sprintf("top-level permissions %q; set `contents: read` and grant more per job", p.All.Value)})
	default:
		for name, s := range p.Scopes {
			if name != "contents" || s.Value == nil || s.Value.Value != "read" {
				out = append(out, finding{wf.Path, p.Pos.Line, fmt.Sprintf("top-level permission %s: %s; only `contents: read` belongs at the top, grant more on the job that needs it", name, stringOrNone(s.Value))})
			}
		}
		if _, ok := p.Scopes["contents"]; !ok {
			out = append(out, finding{wf.Path, p.Pos.Line, "top-level permissions lack `contents: read`"})
		}
	}
	for _, id := range jobIDs(wf) {
		j := wf.AST.Jobs[id]
		if j.TimeoutMinutes == nil && j.WorkflowCall == nil {
			out = append(out, finding{wf.Path, j.Pos.Line, fmt.Sprintf("job %s has no timeout-minutes; a hung step would hold a runner for 6 hours", id)})
		}
		if j.Permissions != nil && j.Permissions.All != nil {
			out = append(out, finding{wf.Path, j.Permissions.Pos.Line, fmt.Sprintf("job %s has permissions %q; list only the scopes it needs", id, j.Permissions.All.Value)})
		}
	}
	return out
}

func stringOrNone(s *actionlint.String) string {
	if s == nil {
		return "<none>"
	}
	return s.Value
}

func jobIDs(wf *workflow) []string { return slices.Sorted(maps.Keys(wf.AST.Jobs)) }

const pinnedSHA = "de0fac2e4500dabe0009e67214ff5f5447ce83dd"

// writeWorkflow writes body to a temporary .github/workflows and loads it.
func writeWorkflow(t *testing.T, body string) (*workflow, []byte, string) {
	t.Helper()
	p := writeWorkflowFile(t, body)
	wf, err := loadWorkflow(p)
	if err != nil {
		t.Fatalf("loadWorkflow: %v", err)
	}
	return wf, []byte(body), p
}

func writeWorkflowFile(t *testing.T, body string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".github", "workflows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "w.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// oneJob wraps steps into a minimal valid workflow.
func oneJob(steps string) string {
	return `name: t
on: push
permissions:
  contents: read
jobs:
  j:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    steps:
` + steps
}

// formatFindings lists the findings one a line with their places, for a
// test's failure output.
func formatFindings(fs []finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// findingMessages returns the findings' messages, without their places.
func findingMessages(fs []finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Message)
	}
	return out
}

// wantEach fails t unless got has exactly one entry per want, in order,
// each containing its want.
func wantEach(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("want %d finding(s) %q, got %q", len(want), want, got)
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("finding %d = %q, want it to contain %q", i, got[i], w)
		}
	}
}

func TestPins(t *testing.T) {
	tests := []struct {
		name string
		uses string
		want string // substring of the one finding; "" = clean
	}{
		{"sha with version", "actions/checkout@" + pinnedSHA + " # v6.0.2", ""},
		{"sha with major only", "actions/checkout@" + pinnedSHA + " # v6", ""},
		{"subpath action", "github/codeql-action/upload-sarif@" + pinnedSHA + " # v4.31.9", ""},
		{"local action", "./.github/actions/x", ""},
		{"image by digest", "docker://alpine@sha256:" + strings.Repeat("ab", 32), ""},
		{"tag", "actions/checkout@v6", "not pinned to a full 40-hex commit SHA"},
		{"branch", "actions/checkout@main", "not pinned"},
		{"short sha", "actions/checkout@de0fac2", "not pinned"},
		{"uppercase sha", "actions/checkout@" + strings.ToUpper(pinnedSHA) + " # v6.0.2", "not pinned"},
		{"no ref", "actions/checkout", "not pinned"},
		{"sha without comment", "actions/checkout@" + pinnedSHA, "no version comment"},
		{"sha with prose comment", "actions/checkout@" + pinnedSHA + " # latest", "no version comment"},
		{"image by tag", "docker://alpine:3.20", "not pinned by digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf, src, _ := writeWorkflow(t, oneJob("      - uses: "+tt.uses+"\n"))
			got := checkPins(wf, src)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("want clean, got:\n%s", formatFindings(got))
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tt.want) {
				t.Fatalf("want one finding containing %q, got:\n%s", tt.want, formatFindings(got))
			}
			if got[0].Line != 10 {
				t.Errorf("finding on line %d, want 10 (the uses: line)", got[0].Line)
			}
		})
	}
}

func TestPinsReusableWorkflow(t *testing.T) {
	wf, src, _ := writeWorkflow(t, `on: push
permissions:
  contents: read
jobs:
  call:
    uses: octo/repo/.github/workflows/x.yaml@v1
`)
	if got := checkPins(wf, src); len(got) != 1 || !strings.Contains(got[0].Message, "not pinned") {
		t.Fatalf("reusable workflow by tag: got\n%s", formatFindings(got))
	}
}

func TestHygiene(t *testing.T) {
	tests := []struct {
		name string
		wf   string
		want []string
	}{
		{"clean", oneJob("      - run: make test\n"), nil},
		{"no timeout", strings.Replace(oneJob("      - run: make test\n"), "    timeout-minutes: 5\n", "", 1), []string{"job j has no timeout-minutes"}},
		{"no top-level permissions", strings.Replace(oneJob("      - run: make test\n"), "permissions:\n  contents: read\n", "", 1), []string{"no top-level permissions"}},
		{"write-all at top", strings.Replace(oneJob("      - run: make test\n"), "permissions:\n  contents: read\n", "permissions: write-all\n", 1), []string{`top-level permissions "write-all"`}},
		{"write scope at top", strings.Replace(oneJob("      - run: make test\n"), "  contents: read\n", "  contents: read\n  packages: write\n", 1), []string{"top-level permission packages: write"}},
		{"contents write at top", strings.Replace(oneJob("      - run: make test\n"), "  contents: read\n", "  contents: write\n", 1), []string{"top-level permission contents: write"}},
		{"job write-all", strings.Replace(oneJob("      - run: make test\n"), "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    permissions: write-all\n", 1), []string{`job j has permissions "write-all"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf, _, _ := writeWorkflow(t, tt.wf)
			wantEach(t, findingMessages(checkHygiene(wf)), tt.want)
		})
	}
}

func TestLintWorkflows(t *testing.T) {
	_, _, good := writeWorkflow(t, oneJob("      - uses: actions/checkout@"+pinnedSHA+" # v6.0.2\n      - run: make test\n"))
	if got, err := lintWorkflows([]string{good}); err != nil || len(got) != 0 {
		t.Fatalf("valid workflow: err %v, findings:\n%s", err, formatFindings(got))
	}
	tests := []struct{ name, wf, want string }{
		{"unknown expression context", oneJob("      - run: echo ${{ nope.x }}\n"), "undefined variable"},
		{"unknown step key", oneJob("      - run: make test\n        bogus: 1\n"), "unexpected key"},
		{"bad timeout type", oneJob("      - run: make test\n        timeout-minutes: soon\n"), "float number literal"},
		{"needs unknown job", strings.Replace(oneJob("      - run: make test\n"), "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    needs: [ghost]\n", 1), "ghost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lintWorkflows([]string{writeWorkflowFile(t, tt.wf)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || !strings.Contains(formatFindings(got), tt.want) {
				t.Fatalf("want an actionlint error containing %q, got:\n%s", tt.want, formatFindings(got))
			}
		})
	}
}

func TestLoadRejectsBrokenYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(p, []byte("on: [push\njobs: {"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadWorkflow(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("want an error naming %s, got %v", p, err)
	}
}

func TestWorkflowFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.yml", "a.yaml", "notes.md"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := workflowFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || filepath.Base(got[0]) != "a.yaml" || filepath.Base(got[1]) != "b.yml" {
		t.Fatalf("got %q", got)
	}
}
