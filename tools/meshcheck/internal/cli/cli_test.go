package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

const goodYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, version: v1}
    spec:
      containers:
        - name: main
          image: ghcr.io/asm-ready/helloserver:0.1.0
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`

// warnOnly has one warning (MC021: no version label) and nothing worse.
var warnOnly = strings.Replace(goodYAML, "{app: web, version: v1}", "{app: web}", 1)

// infoOnly has one info finding (MC013: undeclared numeric targetPort).
var infoOnly = strings.Replace(goodYAML, "targetPort: http", "targetPort: 9090", 1)

func runCLI(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errb, "v9.9.9", "deadbeef")
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"clean", goodYAML, []string{"-"}, ExitClean},
		{"warning fails by default", warnOnly, []string{"-"}, ExitFindings},
		{"warning passes --fail-on error", warnOnly, []string{"--fail-on", "error", "-"}, ExitClean},
		{"info passes by default", infoOnly, []string{"-"}, ExitClean},
		{"info fails --fail-on info", infoOnly, []string{"--fail-on=info", "-"}, ExitFindings},
		{"--ignore suppresses", warnOnly, []string{"--ignore", "MC021", "-"}, ExitClean},
		{"--ignore by name, comma list", warnOnly, []string{"--ignore", "MC001,pod-missing-version-label", "-"}, ExitClean},
		{"flags after the path", warnOnly, []string{"-", "--fail-on", "error"}, ExitClean},
		{"input error", "kind: [", []string{"-"}, ExitUsage},
		{"input error in json", "kind: x\n", []string{"--format", "json", "-"}, ExitUsage},
		{"input error in sarif", "kind: x\n", []string{"--format", "sarif", "-"}, ExitUsage},
		{"input error in github", "kind: x\n", []string{"--format", "github", "-"}, ExitUsage},
		{"missing file", "", []string{"/nonexistent/m.yaml"}, ExitUsage},
		{"no paths", "", nil, ExitUsage},
		{"unknown flag", "", []string{"--nope", "-"}, ExitUsage},
		{"bad --fail-on", "", []string{"--fail-on", "fatal", "-"}, ExitUsage},
		{"bad --format", "", []string{"--format", "xml", "-"}, ExitUsage},
		{"unknown --ignore rule", goodYAML, []string{"--ignore", "MC999", "-"}, ExitUsage},
		{"empty --namespace", goodYAML, []string{"--namespace", "", "-"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if code == ExitUsage && !strings.Contains(errOut, "meshcheck") && !strings.Contains(errOut, "input error") {
				t.Errorf("exit 2 without a message on stderr: %q", errOut)
			}
		})
	}
}

func TestMachineFormatsStayParseableOnInputErrors(t *testing.T) {
	code, out, errOut := runCLI("apiVersion: v1\nkind: Service\n", "--format", "json", "-")
	var doc struct {
		InputErrors []struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"inputErrors"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != ExitUsage {
		t.Fatalf("exit %d, json %v: %s", code, err, out)
	}
	if len(doc.InputErrors) != 1 || doc.InputErrors[0].File != "<stdin>" || doc.InputErrors[0].Line != 1 {
		t.Errorf("input errors: %+v", doc.InputErrors)
	}
	if !strings.Contains(errOut, "<stdin>:1: Service has no metadata.name") {
		t.Errorf("stderr: %q", errOut)
	}
}

func TestMeshFlag(t *testing.T) {
	ns := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: {istio-injection: disabled}\n---\n"
	if code, out, _ := runCLI(ns+goodYAML, "-"); code != ExitFindings || !strings.Contains(out, "MC061") {
		t.Errorf("auto mesh: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(ns+goodYAML, "--mesh=false", "-"); code != ExitClean {
		t.Errorf("--mesh=false: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(goodYAML, "--mesh", "--fail-on", "info", "-"); code != ExitFindings || !strings.Contains(out, "MC062") {
		t.Errorf("--mesh without the namespace: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(goodYAML, "--mesh", "--namespace", "shop", "-"); code != ExitClean || !strings.Contains(out, "mesh mode on (--mesh)") {
		t.Errorf("--namespace: exit %d\n%s", code, out)
	}
}

func TestFilesAndStdinTogether(t *testing.T) {
	// The Service comes from a file, the Deployment from stdin: one object set.
	parts := strings.SplitN(goodYAML, "---\n", 2)
	svc := writeFile(t, parts[1])
	code, out, errOut := runCLI(parts[0], "--fail-on", "info", svc, "-")
	if code != ExitClean || !strings.Contains(out, "in 2 object(s)") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestHelpVersionRules(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := runCLI("", args...)
		if code != ExitClean || out != Usage || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	code, out, _ := runCLI("", "version")
	if code != ExitClean || out != "meshcheck v9.9.9 (commit deadbeef)\n" {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = runCLI("", "rules")
	if code != ExitClean || !strings.Contains(out, "MC001  error     IST0118") || !strings.Contains(out, "why: ") {
		t.Errorf("rules: %d\n%s", code, out)
	}
	// Every deliberate difference from istioctl is printed, and what no rule covers.
	for _, r := range meshcheck.Rules {
		if r.VsIstio != "" && !strings.Contains(out, "vs istioctl: "+r.VsIstio) {
			t.Errorf("rules does not print %s's difference from istioctl", r.ID)
		}
	}
	if !strings.Contains(out, meshcheck.Scope) {
		t.Error("rules does not print the scope")
	}
	code, out, _ = runCLI("", "rules", "--format", "json")
	var rules []map[string]any
	if err := json.Unmarshal([]byte(out), &rules); err != nil || code != ExitClean || len(rules) < 20 || rules[0]["id"] != "MC001" || rules[0]["severity"] != "error" {
		t.Errorf("rules json: %d %v %s", code, err, out)
	}
	if code, _, _ := runCLI("", "rules", "extra"); code != ExitUsage {
		t.Errorf("rules extra: exit %d", code)
	}
}

func TestFailsClosedOnEmptyOrDuplicateInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty stdin":            "",
		"only comments":          "# Source: chart/templates/x.yaml\n---\n",
		"duplicate":              goodYAML + "---\n" + goodYAML,
		"duplicate Service only": goodYAML + "---\n" + strings.SplitN(goodYAML, "---\n", 2)[1],
	} {
		for _, f := range []string{"text", "json", "github", "sarif"} {
			code, _, errOut := runCLI(in, "--format", f, "-")
			if code != ExitUsage || errOut == "" {
				t.Errorf("%s, %s: exit %d, stderr %q; want exit 2 with a reason", name, f, code, errOut)
			}
		}
	}
	_, _, errOut := runCLI(goodYAML+"---\n"+goodYAML, "-")
	if !strings.Contains(errOut, "<stdin>:25: Deployment web is defined twice (first at <stdin>:1)") {
		t.Errorf("duplicate message: %q", errOut)
	}
}

// Two renders of the same app (two overlays) are one duplicate-object input
// error when checked as one set, and two clean sets with --each; a finding in
// one set is still reported, naming its file.
func TestEach(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, bad := write("a.yaml", goodYAML), write("b.yaml", goodYAML), write("bad.yaml", warnOnly)

	if code, _, _ := runCLI("", a, b); code != ExitUsage {
		t.Errorf("one set with the same objects twice: exit %d, want %d (duplicate objects)", code, ExitUsage)
	}
	if code, out, errb := runCLI("", "--each", a, b); code != ExitClean {
		t.Errorf("--each over two clean renders: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errb)
	}
	code, out, _ := runCLI("", "--each", "--format", "json", a, bad)
	if code != ExitFindings {
		t.Fatalf("--each with a warning in one set: exit %d, want %d", code, ExitFindings)
	}
	var got struct {
		Findings []struct {
			Rule string `json:"rule"`
			File string `json:"file"`
		} `json:"findings"`
		Summary struct {
			Objects int `json:"objects"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if len(got.Findings) != 1 || got.Findings[0].File != bad {
		t.Errorf("findings = %+v, want exactly one in %s", got.Findings, bad)
	}
	if got.Summary.Objects != 4 {
		t.Errorf("objects = %d, want 4 (both sets counted)", got.Summary.Objects)
	}
	if code, _, _ := runCLI("", "--each", a, filepath.Join(dir, "missing.yaml")); code != ExitUsage {
		t.Errorf("--each with a missing file: exit %d, want %d", code, ExitUsage)
	}
}
