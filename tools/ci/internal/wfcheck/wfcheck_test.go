package wfcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sha = "de0fac2e4500dabe0009e67214ff5f5447ce83dd"

// write puts a workflow into a temporary .github/workflows and loads it.
func write(t *testing.T, body string) (*Workflow, []byte, string) {
	t.Helper()
	p := writeFile(t, body)
	wf, err := Load(p)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return wf, []byte(body), p
}

func writeFile(t *testing.T, body string) string {
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

// job wraps steps into a minimal valid workflow.
func job(steps string) string {
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

func messages(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestPins(t *testing.T) {
	tests := []struct {
		name string
		uses string
		want string // substring of the one finding; "" = clean
	}{
		{"sha with version", "actions/checkout@" + sha + " # v6.0.2", ""},
		{"sha with major only", "actions/checkout@" + sha + " # v6", ""},
		{"subpath action", "github/codeql-action/upload-sarif@" + sha + " # v4.31.9", ""},
		{"local action", "./.github/actions/x", ""},
		{"image by digest", "docker://alpine@sha256:" + strings.Repeat("ab", 32), ""},
		{"tag", "actions/checkout@v6", "not pinned to a full 40-hex commit SHA"},
		{"branch", "actions/checkout@main", "not pinned"},
		{"short sha", "actions/checkout@de0fac2", "not pinned"},
		{"uppercase sha", "actions/checkout@" + strings.ToUpper(sha) + " # v6.0.2", "not pinned"},
		{"no ref", "actions/checkout", "not pinned"},
		{"sha without comment", "actions/checkout@" + sha, "no version comment"},
		{"sha with prose comment", "actions/checkout@" + sha + " # latest", "no version comment"},
		{"image by tag", "docker://alpine:3.20", "not pinned by digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf, src, _ := write(t, job("      - uses: "+tt.uses+"\n"))
			got := Pins(wf, src)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("want clean, got:\n%s", messages(got))
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tt.want) {
				t.Fatalf("want one finding containing %q, got:\n%s", tt.want, messages(got))
			}
			if got[0].Line != 10 {
				t.Errorf("finding on line %d, want 10 (the uses: line)", got[0].Line)
			}
		})
	}
}

func TestPinsReusableWorkflow(t *testing.T) {
	wf, src, _ := write(t, `on: push
permissions:
  contents: read
jobs:
  call:
    uses: octo/repo/.github/workflows/x.yaml@v1
`)
	if got := Pins(wf, src); len(got) != 1 || !strings.Contains(got[0].Message, "not pinned") {
		t.Fatalf("reusable workflow by tag: got\n%s", messages(got))
	}
}

func TestHygiene(t *testing.T) {
	tests := []struct {
		name string
		wf   string
		want []string
	}{
		{"clean", job("      - run: make test\n"), nil},
		{"no timeout", strings.Replace(job("      - run: make test\n"), "    timeout-minutes: 5\n", "", 1), []string{"job j has no timeout-minutes"}},
		{"no top-level permissions", strings.Replace(job("      - run: make test\n"), "permissions:\n  contents: read\n", "", 1), []string{"no top-level permissions"}},
		{"write-all at top", strings.Replace(job("      - run: make test\n"), "permissions:\n  contents: read\n", "permissions: write-all\n", 1), []string{`top-level permissions "write-all"`}},
		{"write scope at top", strings.Replace(job("      - run: make test\n"), "  contents: read\n", "  contents: read\n  packages: write\n", 1), []string{"top-level permission packages: write"}},
		{"contents write at top", strings.Replace(job("      - run: make test\n"), "  contents: read\n", "  contents: write\n", 1), []string{"top-level permission contents: write"}},
		{"job write-all", strings.Replace(job("      - run: make test\n"), "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    permissions: write-all\n", 1), []string{`job j has permissions "write-all"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf, _, _ := write(t, tt.wf)
			got := Hygiene(wf)
			if len(got) != len(tt.want) {
				t.Fatalf("want %d finding(s) %q, got:\n%s", len(tt.want), tt.want, messages(got))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Message, w) {
					t.Errorf("finding %d = %q, want it to contain %q", i, got[i].Message, w)
				}
			}
		})
	}
}

func TestCommands(t *testing.T) {
	allowed := Allowed("kubectl")
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
			wf, _, _ := write(t, job(tt.steps))
			calls, got := Commands(wf, allowed)
			if len(got) != len(tt.want) {
				t.Fatalf("want %d finding(s) %q, got:\n%s", len(tt.want), tt.want, messages(got))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Message, w) {
					t.Errorf("finding %d = %q, want it to contain %q", i, got[i].Message, w)
				}
			}
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
	wf, _, _ := write(t, job("      - run: go version\n      - run: |\n          echo ok\n          go version\n"))
	_, got := Commands(wf, Allowed())
	if len(got) != 2 || got[0].Line != 10 || got[1].Line != 13 {
		t.Fatalf("want findings on lines 10 and 13, got:\n%s", messages(got))
	}
}

func TestMissingTargets(t *testing.T) {
	calls := []MakeCall{{File: "w.yaml", Line: 3, Targets: []string{"lint", "nope"}}}
	got := MissingTargets(calls, map[string]bool{"lint": true})
	if len(got) != 1 || !strings.Contains(got[0].Message, "make nope: no such target") || got[0].Line != 3 {
		t.Fatalf("got:\n%s", messages(got))
	}
	if got := MissingTargets(calls, map[string]bool{"lint": true, "nope": true}); len(got) != 0 {
		t.Fatalf("all targets exist, got:\n%s", messages(got))
	}
}

func TestLint(t *testing.T) {
	_, _, good := write(t, job("      - uses: actions/checkout@"+sha+" # v6.0.2\n      - run: make test\n"))
	if got, err := Lint([]string{good}); err != nil || len(got) != 0 {
		t.Fatalf("valid workflow: err %v, findings:\n%s", err, messages(got))
	}
	tests := []struct{ name, wf, want string }{
		{"unknown expression context", job("      - run: echo ${{ nope.x }}\n"), "undefined variable"},
		{"unknown step key", job("      - run: make test\n        bogus: 1\n"), "unexpected key"},
		{"bad timeout type", job("      - run: make test\n        timeout-minutes: soon\n"), "float number literal"},
		{"needs unknown job", strings.Replace(job("      - run: make test\n"), "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    needs: [ghost]\n", 1), "ghost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Lint([]string{writeFile(t, tt.wf)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || !strings.Contains(messages(got), tt.want) {
				t.Fatalf("want an actionlint error containing %q, got:\n%s", tt.want, messages(got))
			}
		})
	}
}

func TestLoadRejectsBrokenYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(p, []byte("on: [push\njobs: {"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("want an error naming %s, got %v", p, err)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.yml", "a.yaml", "notes.md"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || filepath.Base(got[0]) != "a.yaml" || filepath.Base(got[1]) != "b.yml" {
		t.Fatalf("got %q", got)
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
	allowed := Allowed("kubectl")
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
