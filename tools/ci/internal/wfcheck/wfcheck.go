// Package wfcheck checks GitHub Actions workflow files for what this
// repository requires of them beyond being valid: actions pinned by commit,
// project commands run only through make targets that exist, a timeout on
// every job and least-privilege permissions. Validity itself is actionlint's
// job (see Lint).
package wfcheck

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

	"github.com/rhysd/actionlint"
)

// Finding is one problem at a place in a workflow file.
type Finding struct {
	File    string
	Line    int
	Message string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message)
}

// Workflow is a parsed workflow file.
type Workflow struct {
	Path string
	AST  *actionlint.Workflow
}

// Load parses one workflow file. A file actionlint cannot parse is an error
// naming the file and the first problem.
func Load(path string) (*Workflow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	wf, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s:%d:%d: %s", path, errs[0].Line, errs[0].Column, errs[0].Message)
	}
	return &Workflow{Path: path, AST: wf}, nil
}

// Files lists the workflow files (.yaml and .yml) in dir, sorted.
func Files(dir string) ([]string, error) {
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

// Lint runs actionlint over the files. Shellcheck and pyflakes are disabled on
// purpose: they would make the result depend on what happens to be on PATH.
// Run scripts are instead parsed as bash by Commands.
func Lint(paths []string) ([]Finding, error) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: "", Pyflakes: ""})
	if err != nil {
		return nil, err
	}
	var out []Finding
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
			out = append(out, Finding{File: p, Line: e.Line, Message: fmt.Sprintf("actionlint [%s] %s", e.Kind, e.Message)})
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

// Pins reports every `uses:` that is not pinned to a full 40-hex commit SHA
// followed by a `# vX.Y.Z` comment. Local actions (./...) are the repository's
// own code at the commit being run, so they are exempt; docker:// images are
// not (a tag can move), and must be pinned by @sha256 digest.
func Pins(wf *Workflow, src []byte) []Finding {
	lines := strings.Split(string(src), "\n")
	var out []Finding
	check := func(u *actionlint.String) {
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
				out = append(out, Finding{wf.Path, line, fmt.Sprintf("uses: %q is a container image not pinned by digest; use docker://image@sha256:<64 hex>", v)})
			}
			return
		}
		at := strings.LastIndex(v, "@")
		if at < 0 || !shaRef.MatchString(v[at+1:]) {
			out = append(out, Finding{wf.Path, line, fmt.Sprintf("uses: %q is not pinned to a full 40-hex commit SHA; write owner/repo@<sha> # vX.Y.Z", v)})
			return
		}
		if line > 0 && line <= len(lines) && !versionComment.MatchString(lines[line-1]) {
			out = append(out, Finding{wf.Path, line, fmt.Sprintf("uses: %q has no version comment; append # vX.Y.Z naming the release the SHA is", v)})
		}
	}
	for _, id := range jobIDs(wf) {
		j := wf.AST.Jobs[id]
		if j.WorkflowCall != nil {
			check(j.WorkflowCall.Uses)
		}
		for _, s := range j.Steps {
			if a, ok := s.Exec.(*actionlint.ExecAction); ok {
				check(a.Uses)
			}
		}
	}
	return out
}

// Hygiene reports jobs without timeout-minutes, a workflow whose top-level
// permissions are not exactly `contents: read`, and any `write-all`.
func Hygiene(wf *Workflow) []Finding {
	var out []Finding
	p := wf.AST.Permissions
	switch {
	case p == nil:
		out = append(out, Finding{wf.Path, 1, "no top-level permissions; set `permissions: contents: read` and grant more per job"})
	case p.All != nil:
		out = append(out, Finding{wf.Path, p.Pos.Line, fmt.Sprintf("top-level permissions %q; set `contents: read` and grant more per job", p.All.Value)})
	default:
		for name, s := range p.Scopes {
			if name != "contents" || s.Value == nil || s.Value.Value != "read" {
				out = append(out, Finding{wf.Path, p.Pos.Line, fmt.Sprintf("top-level permission %s: %s; only `contents: read` belongs at the top, grant more on the job that needs it", name, valueOf(s.Value))})
			}
		}
		if _, ok := p.Scopes["contents"]; !ok {
			out = append(out, Finding{wf.Path, p.Pos.Line, "top-level permissions lack `contents: read`"})
		}
	}
	for _, id := range jobIDs(wf) {
		j := wf.AST.Jobs[id]
		if j.TimeoutMinutes == nil && j.WorkflowCall == nil {
			out = append(out, Finding{wf.Path, j.Pos.Line, fmt.Sprintf("job %s has no timeout-minutes; a hung step would hold a runner for 6 hours", id)})
		}
		if j.Permissions != nil && j.Permissions.All != nil {
			out = append(out, Finding{wf.Path, j.Permissions.Pos.Line, fmt.Sprintf("job %s has permissions %q; list only the scopes it needs", id, j.Permissions.All.Value)})
		}
	}
	return out
}

func valueOf(s *actionlint.String) string {
	if s == nil {
		return "<none>"
	}
	return s.Value
}

func jobIDs(wf *Workflow) []string { return slices.Sorted(maps.Keys(wf.AST.Jobs)) }
