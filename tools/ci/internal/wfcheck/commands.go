package wfcheck

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
	"mvdan.cc/sh/v3/syntax"
)

// MakeCall is one `make` invocation found in a run step.
type MakeCall struct {
	File    string
	Line    int
	Targets []string
}

// Shell plumbing any workflow may use: text tools and builtins that move
// data around but build, test or deploy nothing.
var Plumbing = []string{
	":", "[", "awk", "basename", "cat", "cd", "cut", "dirname", "echo", "exit",
	"export", "false", "grep", "head", "jq", "local", "mkdir", "mktemp", "printf", "read",
	"set", "sha256sum", "sort", "tail", "tee", "test", "tr", "true", "uniq", "wc",
}

// expression matches a ${{ }} placeholder; it is replaced by a plain word
// before parsing, since bash would read `${{` as a bad parameter expansion.
var expression = regexp.MustCompile(`\$\{\{.*?\}\}`)

// Commands parses every run step of wf as bash and returns its make calls,
// plus a finding for each command that is neither make, nor in allowed,
// nor a function the script itself defines, and for each script that does
// not parse. allowed holds the command names the workflow may call directly.
func Commands(wf *Workflow, allowed map[string]bool) ([]MakeCall, []Finding) {
	var calls []MakeCall
	var out []Finding
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
				out = append(out, Finding{wf.Path, run.Shell.Pos.Line, fmt.Sprintf("job %s: shell %q; run steps use bash so this check can read them", id, run.Shell.Value)})
				continue
			}
			c, f := scriptCommands(wf.Path, id, base, run.Run.Value, allowed)
			calls = append(calls, c...)
			out = append(out, f...)
		}
	}
	return calls, out
}

func scriptCommands(path, job string, base int, script string, allowed map[string]bool) ([]MakeCall, []Finding) {
	src := expression.ReplaceAllString(script, "EXPR")
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), path)
	if err != nil {
		line := base + 1
		if pe, ok := err.(syntax.ParseError); ok {
			line = base + int(pe.Pos.Line())
		}
		return nil, []Finding{{path, line, fmt.Sprintf("job %s: run script is not valid bash: %v", job, err)}}
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
	var calls []MakeCall
	var out []Finding
	syntax.Walk(file, func(n syntax.Node) bool {
		ce, ok := n.(*syntax.CallExpr)
		if !ok || len(ce.Args) == 0 {
			return true
		}
		line := base + int(ce.Pos().Line())
		name := ce.Args[0].Lit()
		switch {
		case name == "make":
			targets, f := makeTargets(ce.Args[1:])
			for _, msg := range f {
				out = append(out, Finding{path, line, fmt.Sprintf("job %s: %s", job, msg)})
			}
			calls = append(calls, MakeCall{File: path, Line: line, Targets: targets})
		case name == "":
			out = append(out, Finding{path, line, fmt.Sprintf("job %s: command name is not a plain word; call a named command or a make target", job)})
		case allowed[name] || funcs[name]:
		default:
			out = append(out, Finding{path, line, fmt.Sprintf("job %s: %q is run directly; project commands go through a make target (allowed here: make, %s)", job, name, strings.Join(slices.Sorted(maps.Keys(allowed)), ", "))})
		}
		return true
	})
	return calls, out
}

// makeTargets returns the targets among make's arguments; variable
// assignments and flags are skipped, and flags that would run another
// Makefile or directory are reported.
func makeTargets(args []*syntax.Word) ([]string, []string) {
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
		case isAssignment(first):
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

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*[:+?]?=`)

func isAssignment(s string) bool { return assignment.MatchString(s) }

// MissingTargets reports every make call naming a target not in targets.
func MissingTargets(calls []MakeCall, targets map[string]bool) []Finding {
	var out []Finding
	for _, c := range calls {
		for _, t := range c.Targets {
			if !targets[t] {
				out = append(out, Finding{c.File, c.Line, fmt.Sprintf("make %s: no such target in the Makefile; add it there or call an existing one", t)})
			}
		}
	}
	return out
}

// Allowed builds a command allow-list: Plumbing plus extra.
func Allowed(extra ...string) map[string]bool {
	m := map[string]bool{}
	for _, c := range append(slices.Clone(Plumbing), extra...) {
		m[c] = true
	}
	return m
}
