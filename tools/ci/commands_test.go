// Checks of what workflow run steps execute: project commands go through
// make targets, read by parsing each script as bash.

package ci

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"mvdan.cc/sh/v3/syntax"
)

// makeCall is one `make` invocation found in a run step.
type makeCall struct {
	File    string
	Line    int
	Targets []string
}

// Shell plumbing any workflow may use: text tools and builtins that move
// data around but build, test or deploy nothing.
var plumbing = []string{
	":", "[", "awk", "basename", "cat", "cd", "cut", "dirname", "echo", "exit",
	"export", "false", "grep", "head", "jq", "local", "mkdir", "mktemp", "printf", "read",
	"set", "sha256sum", "sort", "tail", "tee", "test", "tr", "true", "uniq", "wc",
}

// actionsExpression matches a ${{ }} placeholder; it is replaced by a plain
// word before parsing, since bash would read `${{` as a bad parameter
// expansion.
var actionsExpression = regexp.MustCompile(`\$\{\{.*?\}\}`)

// checkCommands parses every run step of wf as bash and returns its make
// calls, plus a finding for each command that is neither make, nor in
// allowed, nor a function the script itself defines, and for each script
// that does not parse. allowed holds the command names the workflow may call
// directly.
func checkCommands(wf *workflow, allowed map[string]bool) ([]makeCall, []finding) {
	var calls []makeCall
	var out []finding
	for _, id := range jobIDs(wf) {
		for _, s := range wf.AST.Jobs[id].Steps {
			run, ok := s.Exec.(*actionlint.ExecRun)
			if !ok || run.Run == nil {
				continue
			}
			base := run.Run.Pos.Line - 1
			if strings.Contains(run.Run.Value, "\n") {
				base = run.Run.Pos.Line // block scalar: the script starts on the next line
			}
			if run.Shell != nil && run.Shell.Value != "bash" && run.Shell.Value != "sh" {
				out = append(out, finding{wf.Path, run.Shell.Pos.Line, fmt.Sprintf("job %s: shell %q; run steps use bash so this check can read them", id, run.Shell.Value)})
				continue
			}
			c, f := scriptCommands(wf.Path, id, base, run.Run.Value, allowed)
			calls = append(calls, c...)
			out = append(out, f...)
		}
	}
	return calls, out
}

func scriptCommands(path, job string, base int, script string, allowed map[string]bool) ([]makeCall, []finding) {
	src := actionsExpression.ReplaceAllString(script, "EXPR")
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), path)
	if err != nil {
		line := base + 1
		if pe, ok := err.(syntax.ParseError); ok {
			line = base + int(pe.Pos.Line())
		}
		return nil, []finding{{path, line, fmt.Sprintf("job %s: run script is not valid bash: %v", job, err)}}
	}
	funcs := map[string]bool{}
	syntax.Walk(file, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok {
			if fd.Name != nil {
				funcs[fd.Name.Value] = true
			}
			for _, n := range fd.Names {
				funcs[n.Value] = true
			}
		}
		return true
	})
	var calls []makeCall
	var out []finding
	syntax.Walk(file, func(n syntax.Node) bool {
		ce, ok := n.(*syntax.CallExpr)
		if !ok || len(ce.Args) == 0 {
			return true
		}
		line := base + int(ce.Pos().Line())
		name := ce.Args[0].Lit()
		switch {
		case name == "make":
			targets, f := makeCallTargets(ce.Args[1:])
			for _, msg := range f {
				out = append(out, finding{path, line, fmt.Sprintf("job %s: %s", job, msg)})
			}
			calls = append(calls, makeCall{File: path, Line: line, Targets: targets})
		case name == "":
			out = append(out, finding{path, line, fmt.Sprintf("job %s: command name is not a plain word; call a named command or a make target", job)})
		case allowed[name] || funcs[name]:
		default:
			out = append(out, finding{path, line, fmt.Sprintf("job %s: %q is run directly; project commands go through a make target (allowed here: make, %s)", job, name, strings.Join(slices.Sorted(maps.Keys(allowed)), ", "))})
		}
		return true
	})
	return calls, out
}

// makeCallTargets returns the targets among make's arguments; variable
// assignments and flags are skipped, and flags that would run another
// Makefile or directory are reported.
func makeCallTargets(args []*syntax.Word) ([]string, []string) {
	var targets, problems []string
	skip := false
	for _, w := range args {
		if skip { // the value of the previous flag
			skip = false
			continue
		}
		first := ""
		if len(w.Parts) > 0 {
			if l, ok := w.Parts[0].(*syntax.Lit); ok {
				first = l.Value
			}
		}
		switch {
		case strings.HasPrefix(first, "-"):
			flag, _, hasValue := strings.Cut(first, "=")
			switch flag {
			case "-C", "--directory", "-f", "--file", "--makefile":
				problems = append(problems, fmt.Sprintf("make %s: workflows run the repository's own Makefile from the root", flag))
				skip = !hasValue && len(w.Parts) == 1 && w.Lit() == flag
			case "-I", "--include-dir", "-o", "--old-file", "-W", "--what-if":
				skip = !hasValue && w.Lit() == flag
			}
		case makeAssignment.MatchString(first):
		default:
			t := w.Lit()
			if t == "" || t == "EXPR" {
				problems = append(problems, "make target is not a literal word; name the target so it can be checked")
				continue
			}
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 && len(problems) == 0 {
		problems = append(problems, "make without a target runs the default goal; name the target")
	}
	return targets, problems
}

// makeAssignment matches a variable assignment on make's command line.
var makeAssignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*[:+?]?=`)

// missingTargets reports every make call naming a target not in targets.
func missingTargets(calls []makeCall, targets map[string]bool) []finding {
	var out []finding
	for _, c := range calls {
		for _, t := range c.Targets {
			if !targets[t] {
				out = append(out, finding{c.File, c.Line, fmt.Sprintf("make %s: no such target in the Makefile; add it there or call an existing one", t)})
			}
		}
	}
	return out
}

// allowedCommands builds a command allow-list: plumbing plus extra.
func allowedCommands(extra ...string) map[string]bool {
	m := map[string]bool{}
	for _, c := range append(slices.Clone(plumbing), extra...) {
		m[c] = true
	}
	return m
}

func TestCommands(t *testing.T) {
	allowed := allowedCommands("kubectl")
	tests := []struct {
		name    string
		steps   string
		targets [][]string
		want    []string // substrings of findings, in order
	}{
		{"make targets and vars", "      - run: make lint test-go MODULES=\"$M\" -k\n", [][]string{{"lint", "test-go"}}, nil},
		{"make with expression var", "      - run: make test-go MODULES=${{ matrix.m }}\n", [][]string{{"test-go"}}, nil},
		{"block script", "      - run: |\n          set -euo pipefail\n          make render\n          kubectl apply -k overlays/local | tee out.txt\n", [][]string{{"render"}}, nil},
		{"own function", "      - run: |\n          f() { echo hi; }\n          f\n", nil, nil},
		{"go directly", "      - run: go test ./...\n", nil, []string{`"go" is run directly`}},
		{"go inside substitution", "      - run: echo \"$(go env GOPATH)\"\n", nil, []string{`"go" is run directly`}},
		{"not allowed in this workflow", "      - run: helm lint charts/asm-ready\n", nil, []string{`"helm" is run directly`}},
		{"make -C", "      - run: make -C tools test\n", [][]string{{"test"}}, []string{"make -C: workflows run the repository's own Makefile"}},
		{"make without target", "      - run: make\n", [][]string{nil}, []string{"make without a target"}},
		{"make target from expression", "      - run: make ${{ matrix.target }}\n", [][]string{nil}, []string{"make target is not a literal word"}},
		{"command from variable", "      - run: $TOOL run\n", nil, []string{"command name is not a plain word"}},
		{"invalid bash", "      - run: |\n          if true; then\n          echo x\n", nil, []string{"run script is not valid bash"}},
		{"other shell", "      - run: Write-Host hi\n        shell: pwsh\n", nil, []string{`shell "pwsh"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf, _, _ := writeWorkflow(t, oneJob(tt.steps))
			calls, got := checkCommands(wf, allowed)
			wantEach(t, findingMessages(got), tt.want)
			if len(calls) != len(tt.targets) {
				t.Fatalf("got %d make call(s) %+v, want %d", len(calls), calls, len(tt.targets))
			}
			for i, want := range tt.targets {
				if strings.Join(calls[i].Targets, " ") != strings.Join(want, " ") {
					t.Errorf("call %d targets %q, want %q", i, calls[i].Targets, want)
				}
			}
		})
	}
}

func TestCommandLines(t *testing.T) {
	// Line numbers point into the workflow file, for both script styles.
	wf, _, _ := writeWorkflow(t, oneJob("      - run: go version\n      - run: |\n          echo ok\n          go version\n"))
	_, got := checkCommands(wf, allowedCommands())
	if len(got) != 2 || got[0].Line != 10 || got[1].Line != 13 {
		t.Fatalf("want findings on lines 10 and 13, got:\n%s", formatFindings(got))
	}
}

func TestMissingTargets(t *testing.T) {
	calls := []makeCall{{File: "w.yaml", Line: 3, Targets: []string{"lint", "nope"}}}
	got := missingTargets(calls, map[string]bool{"lint": true})
	if len(got) != 1 || !strings.Contains(got[0].Message, "make nope: no such target") || got[0].Line != 3 {
		t.Fatalf("got:\n%s", formatFindings(got))
	}
	if got := missingTargets(calls, map[string]bool{"lint": true, "nope": true}); len(got) != 0 {
		t.Fatalf("all targets exist, got:\n%s", formatFindings(got))
	}
}

// Any run script, however broken, yields findings, never a panic.
func FuzzScriptCommands(f *testing.F) {
	for _, s := range []string{
		"make test",
		"set -euo pipefail\nfor m in a b; do make test-go MODULES=\"$m\"; done",
		"f() { go test; }\nf | tee x",
		"echo ${{ matrix.x }} $(kubectl get pods -o name)",
		"if true; then",
		"make -C",
		"cat <<EOF\n$(go env)\nEOF",
	} {
		f.Add(s)
	}
	allowed := allowedCommands("kubectl")
	f.Fuzz(func(t *testing.T, script string) {
		calls, findings := scriptCommands("w.yaml", "j", 10, script, allowed)
		for _, c := range calls {
			for _, tg := range c.Targets {
				if tg == "" {
					t.Fatalf("empty make target from %q", script)
				}
			}
		}
		for _, fd := range findings {
			if fd.Line < 11 {
				t.Fatalf("finding before the script's first line: %+v", fd)
			}
		}
	})
}
