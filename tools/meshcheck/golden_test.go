package meshcheck_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
	"github.com/asm-ready/asm-ready/tools/meshcheck/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// run calls the CLI as a user would and returns exit code, stdout, stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(args, strings.NewReader(""), &out, &errb, "test", "abc123")
	return code, out.String(), errb.String()
}

// fixtureArgs reads the optional extra flags of a fixture directory.
func fixtureArgs(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

type jsonOut struct {
	Summary struct {
		Findings    int  `json:"findings"`
		Suppressed  int  `json:"suppressed"`
		InputErrors int  `json:"inputErrors"`
		Failed      bool `json:"failed"`
	} `json:"summary"`
	Findings    []meshcheck.Finding `json:"findings"`
	Suppressed  []meshcheck.Finding `json:"suppressed"`
	InputErrors []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Message string `json:"message"`
	} `json:"inputErrors"`
}

func runJSON(t *testing.T, args ...string) (int, jsonOut) {
	t.Helper()
	code, out, errOut := run(t, append([]string{"--format", "json"}, args...)...)
	var doc jsonOut
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json output does not parse: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	return code, doc
}

// TestRuleFixtures: every rule has a good fixture that is entirely clean and
// a bad fixture on which that rule fires; the bad output is golden.
func TestRuleFixtures(t *testing.T) {
	for _, r := range meshcheck.Rules {
		t.Run(r.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", "rules", r.ID)
			args := fixtureArgs(t, dir)

			code, doc := runJSON(t, append(append([]string{"--fail-on", "info"}, args...), filepath.Join(dir, "good.yaml"))...)
			if code != cli.ExitClean || len(doc.Findings) != 0 {
				t.Errorf("good fixture: exit %d, findings %+v; want exit 0 and none", code, doc.Findings)
			}

			bad := filepath.Join(dir, "bad.yaml")
			code, doc = runJSON(t, append(append([]string{"--fail-on", "info"}, args...), bad)...)
			fired := 0
			for _, f := range doc.Findings {
				if f.Rule == r.ID {
					fired++
					if f.Severity != r.Severity || f.IstioCode != r.IstioCode || f.File != bad || f.Line <= 0 || f.Source == "" || f.Fix == "" || f.Message == "" {
						t.Errorf("finding incomplete or inconsistent with its rule: %+v", f)
					}
				}
			}
			if fired == 0 {
				t.Errorf("bad fixture: rule %s did not fire; findings: %+v", r.ID, doc.Findings)
			}
			if code != cli.ExitFindings {
				t.Errorf("bad fixture with --fail-on info: exit %d, want %d", code, cli.ExitFindings)
			}

			code, out, _ := run(t, append(args, bad)...)
			golden(t, filepath.Join(dir, "bad.golden"), out+fmt.Sprintf("exit %d\n", code))
		})
	}
}

func TestFixturesCoverEveryRule(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	for _, e := range entries {
		dirs[e.Name()] = true
	}
	for _, r := range meshcheck.Rules {
		if !dirs[r.ID] {
			t.Errorf("rule %s has no testdata/rules/%s fixtures", r.ID, r.ID)
		}
		delete(dirs, r.ID)
	}
	for d := range dirs {
		t.Errorf("testdata/rules/%s names no rule", d)
	}
}

// TestTutorialManifestIsClean: the tutorial's shape (helloserver and
// loadgenerator Deployments behind hellosvc and loadgensvc, a Helm test pod)
// passes at the strictest threshold.
func TestTutorialManifestIsClean(t *testing.T) {
	code, out, errOut := run(t, "--fail-on", "info", filepath.Join("testdata", "tutorial", "tutorial.yaml"))
	if code != cli.ExitClean {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "PASS: 0 finding(s)") || !strings.Contains(out, "in 5 object(s)") {
		t.Errorf("summary: %s", out)
	}
	// The same manifest in a namespace labelled for managed Cloud Service Mesh
	// is clean in mesh mode too.
	ns := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    istio.io/rev: asm-managed\n"
	tmp := filepath.Join(t.TempDir(), "ns.yaml")
	if err := os.WriteFile(tmp, []byte(ns), 0o644); err != nil {
		t.Fatal(err)
	}
	code, doc := runJSON(t, "--fail-on", "info", tmp, filepath.Join("testdata", "tutorial", "tutorial.yaml"))
	if code != cli.ExitClean || len(doc.Findings) != 0 {
		t.Errorf("mesh mode: exit %d, findings %+v", code, doc.Findings)
	}
}

func TestSuppression(t *testing.T) {
	dir := filepath.Join("testdata", "suppress")
	args := append(fixtureArgs(t, dir), filepath.Join(dir, "suppress.yaml"))
	code, doc := runJSON(t, args...)
	by := map[string]string{}
	for _, f := range doc.Suppressed {
		by[f.Rule+" "+f.Name] = f.SuppressedBy
	}
	want := map[string]string{
		"MC021 web":    meshcheck.SuppressedByAnnotation, // pod template annotation
		"MC001 websvc": meshcheck.SuppressedByAnnotation, // object annotation, by ID
		"MC013 websvc": meshcheck.SuppressedByAnnotation, // object annotation, by name
		"MC010 worker": meshcheck.SuppressedByFlag,
	}
	for k, v := range want {
		if by[k] != v {
			t.Errorf("%s: suppressed by %q, want %q (suppressed: %v)", k, by[k], v, by)
		}
	}
	if len(doc.Findings) != 0 || code != cli.ExitClean {
		t.Errorf("exit %d with findings %+v; everything should be suppressed", code, doc.Findings)
	}
	if doc.Summary.Suppressed != len(want) {
		t.Errorf("summary suppressed = %d, want %d", doc.Summary.Suppressed, len(want))
	}
	// Without the flag the ignored finding comes back and fails the run.
	code, _, _ = run(t, filepath.Join(dir, "suppress.yaml"))
	if code != cli.ExitFindings {
		t.Errorf("without --ignore: exit %d, want 1", code)
	}
	_, out, _ := run(t, args...)
	golden(t, filepath.Join(dir, "suppress.golden"), out)
}

// TestMalformed: every malformed fixture is an input error (exit 2) with file
// and line in every format, never a panic; the text errors are golden.
func TestMalformed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "malformed", "*.*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, errOut := run(t, f)
			if code != cli.ExitUsage || out != "" {
				t.Errorf("text: exit %d stdout %q; want exit 2 and errors on stderr only", code, out)
			}
			golden(t, strings.TrimSuffix(f, filepath.Ext(f))+".golden", errOut)

			code, doc := runJSON(t, f)
			if code != cli.ExitUsage || len(doc.InputErrors) == 0 || !doc.Summary.Failed {
				t.Errorf("json: exit %d, %+v; want exit 2 with inputErrors", code, doc)
			}
			for _, e := range doc.InputErrors {
				if e.File != f || e.Line <= 0 || e.Message == "" {
					t.Errorf("json input error lacks file/line/message: %+v", e)
				}
			}
			for _, format := range []string{"github", "sarif"} {
				if code, _, _ := run(t, "--format", format, f); code != cli.ExitUsage {
					t.Errorf("%s: exit %d, want 2 (fail closed)", format, code)
				}
			}
		})
	}
}
