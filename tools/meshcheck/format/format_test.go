package format

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

// sample builds a result with one finding per severity, awkward characters
// in paths and messages, and one finding of each suppression kind.
func sample() Result {
	rep := &meshcheck.Report{
		Objects: 4,
		Findings: []meshcheck.Finding{
			{Rule: "MC001", RuleName: "port-protocol-unknown", Severity: meshcheck.Error, IstioCode: "IST0118",
				Kind: "Service", Namespace: "shop", Name: "hellosvc", File: "out/render,v1:a.yaml", Line: 12,
				Source: "asm-ready/templates/service.yaml", Message: "100% sniffed\r\nsecond line", Fix: "name it http"},
			{Rule: "MC020", RuleName: "pod-missing-app-label", Severity: meshcheck.Warning,
				Kind: "Deployment", Namespace: "shop", Name: "web", File: "deploy.yaml", Line: 3, Message: "no app", Fix: "add app"},
			{Rule: "MC013", RuleName: "targetport-number-undeclared", Severity: meshcheck.Info,
				Kind: "Service", Name: "s", File: meshcheck.StdinName, Line: 7, Message: "undeclared", Fix: "declare it"},
		},
		Suppressed: []meshcheck.Finding{
			{Rule: "MC021", RuleName: "pod-missing-version-label", Severity: meshcheck.Warning, Kind: "Deployment", Name: "web",
				File: "deploy.yaml", Line: 3, Message: "no version", Fix: "add version", SuppressedBy: meshcheck.SuppressedByAnnotation},
			{Rule: "MC010", RuleName: "workload-without-service", Severity: meshcheck.Error, IstioCode: "IST0117", Kind: "Deployment", Name: "worker",
				File: "/abs/deploy.yaml", Line: 30, Message: "no service", Fix: "add one", SuppressedBy: meshcheck.SuppressedByFlag},
		},
	}
	return Result{Report: rep, FailOn: meshcheck.Warning, Version: "v1.2.3"}
}

func TestGitHubLinesExact(t *testing.T) {
	var b bytes.Buffer
	if err := GitHub(&b, sample()); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"::error file=out/render%2Cv1%3Aa.yaml,line=12,title=MC001 port-protocol-unknown (IST0118)::Service shop/hellosvc: 100%25 sniffed%0D%0Asecond line [template asm-ready/templates/service.yaml]%0AFix: name it http",
		"::warning file=deploy.yaml,line=3,title=MC020 pod-missing-app-label::Deployment shop/web: no app%0AFix: add app",
		"::notice title=MC013 targetport-number-undeclared::Service s: undeclared%0AFix: declare it",
		"meshcheck: FAIL: 3 finding(s) (1 error, 1 warning, 1 info) in 4 object(s); 2 suppressed (1 by annotation, 1 by --ignore); mesh mode off; --fail-on warning",
		"",
	}, "\n")
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	b.Reset()
	err := GitHub(&b, Result{Errors: meshcheck.InputErrors{{File: "bad.yaml", Line: 4, Msg: "missing kind: x, y"}}, FailOn: meshcheck.Warning})
	if err != nil {
		t.Fatal(err)
	}
	wantErr := "::error file=bad.yaml,line=4,title=meshcheck input error::missing kind: x, y\n" +
		"meshcheck: 1 input error(s); nothing checked (fix the input, exit 2)\n"
	if b.String() != wantErr {
		t.Errorf("input error: got %q want %q", b.String(), wantErr)
	}
}

func TestEscaping(t *testing.T) {
	if got := ghData("a%b\r\nc:d,e"); got != "a%25b%0D%0Ac:d,e" {
		t.Errorf("ghData = %q", got)
	}
	if got := ghProperty("a%b\r\nc:d,e"); got != "a%25b%0D%0Ac%3Ad%2Ce" {
		t.Errorf("ghProperty = %q", got)
	}
}

func sarifDoc(t *testing.T, res Result) map[string]any {
	t.Helper()
	var b bytes.Buffer
	if err := SARIF(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	return doc
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sarif-2.1.0-rtm.5.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, res := range map[string]Result{
		"findings":     sample(),
		"clean":        {Report: &meshcheck.Report{Findings: []meshcheck.Finding{}}, FailOn: meshcheck.Warning},
		"input errors": {Errors: meshcheck.InputErrors{{File: "bad.yaml", Line: 2, Msg: "YAML syntax error"}, {File: "x", Msg: "no line"}}, FailOn: meshcheck.Warning},
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := SARIF(&b, res); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(&b)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("SARIF output does not validate: %v", err)
			}
		})
	}
	// The validator must be able to fail: a result without a message is invalid.
	bad := map[string]any{"version": "2.1.0", "runs": []any{map[string]any{
		"tool": map[string]any{"driver": map[string]any{"name": "x"}}, "results": []any{map[string]any{"ruleId": "MC001"}}}}}
	if err := sch.Validate(bad); err == nil {
		t.Error("schema accepted a result without a message")
	}
}

func TestSARIFShape(t *testing.T) {
	doc := sarifDoc(t, sample())
	if doc["version"] != "2.1.0" || doc["$schema"] == "" {
		t.Fatalf("version/$schema: %v %v", doc["version"], doc["$schema"])
	}
	run := doc["runs"].([]any)[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	if driver["name"] != "meshcheck" || driver["version"] != "v1.2.3" {
		t.Errorf("driver: %v", driver)
	}
	rules := driver["rules"].([]any)
	if len(rules) != len(meshcheck.Rules) {
		t.Errorf("%d rules, want %d", len(rules), len(meshcheck.Rules))
	}
	results := run["results"].([]any)
	if len(results) != 5 {
		t.Fatalf("%d results, want 3 findings + 2 suppressed", len(results))
	}
	levels := []string{}
	for i, r := range results {
		r := r.(map[string]any)
		id := r["ruleId"].(string)
		idx := int(r["ruleIndex"].(float64))
		if rules[idx].(map[string]any)["id"] != id {
			t.Errorf("result %d: ruleIndex %d is not %s", i, idx, id)
		}
		levels = append(levels, r["level"].(string))
		if r["message"].(map[string]any)["text"] == "" {
			t.Errorf("result %d has no message", i)
		}
		loc := r["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
		if loc["artifactLocation"].(map[string]any)["uri"] == "" || loc["region"].(map[string]any)["startLine"].(float64) < 1 {
			t.Errorf("result %d location: %v", i, loc)
		}
	}
	if strings.Join(levels, ",") != "error,warning,note,warning,error" {
		t.Errorf("levels %v", levels)
	}
	supp := results[3].(map[string]any)["suppressions"].([]any)[0].(map[string]any)
	if supp["kind"] != "inSource" {
		t.Errorf("annotation suppression kind = %v", supp["kind"])
	}
	if k := results[4].(map[string]any)["suppressions"].([]any)[0].(map[string]any)["kind"]; k != "external" {
		t.Errorf("--ignore suppression kind = %v", k)
	}
	if _, ok := results[0].(map[string]any)["suppressions"]; ok {
		t.Error("an active finding carries a suppression")
	}
	first := results[0].(map[string]any)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)
	if first["uri"] != "out/render,v1:a.yaml" || first["uriBaseId"] != "%SRCROOT%" {
		t.Errorf("relative artifact location: %v", first)
	}
	inv := run["invocations"].([]any)[0].(map[string]any)
	if inv["executionSuccessful"] != true {
		t.Errorf("invocation: %v", inv)
	}

	errDoc := sarifDoc(t, Result{Errors: meshcheck.InputErrors{{File: "bad.yaml", Line: 2, Msg: "boom"}}, FailOn: meshcheck.Warning})
	inv = errDoc["runs"].([]any)[0].(map[string]any)["invocations"].([]any)[0].(map[string]any)
	notes := inv["toolExecutionNotifications"].([]any)
	if inv["executionSuccessful"] != false || len(notes) != 1 || notes[0].(map[string]any)["message"].(map[string]any)["text"] != "boom" {
		t.Errorf("input error invocation: %v", inv)
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version  string              `json:"version"`
		Summary  Summary             `json:"summary"`
		Findings []meshcheck.Finding `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Summary
	if doc.Version != "v1.2.3" || s.Findings != 3 || s.Errors != 1 || s.Warnings != 1 || s.Info != 1 || s.Suppressed != 2 ||
		s.SuppressedByAnnotation != 1 || s.SuppressedByIgnore != 1 || !s.Failed || s.FailOn != "warning" {
		t.Errorf("summary %+v", s)
	}
	if f := doc.Findings[0]; f.Severity != meshcheck.Error || f.IstioCode != "IST0118" || f.Source == "" || f.Line != 12 {
		t.Errorf("finding did not round-trip: %+v", f)
	}
}

func TestTextGroupsByObject(t *testing.T) {
	res := sample()
	res.Report.Findings = append(res.Report.Findings, meshcheck.Finding{Rule: "MC021", RuleName: "pod-missing-version-label",
		Severity: meshcheck.Warning, Kind: "Deployment", Namespace: "shop", Name: "web", File: "deploy.yaml", Line: 3, Message: "no version", Fix: "add version"})
	var b bytes.Buffer
	if err := Text(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "Deployment shop/web  (deploy.yaml)") != 1 {
		t.Errorf("Deployment not grouped once:\n%s", out)
	}
	for _, want := range []string{
		"Service shop/hellosvc  (out/render,v1:a.yaml, template asm-ready/templates/service.yaml)",
		"  out/render,v1:a.yaml:12: error MC001 port-protocol-unknown [IST0118]",
		"    fix: name it http",
		"2 suppressed (1 by annotation, 1 by --ignore)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestFailed(t *testing.T) {
	clean := Result{Report: &meshcheck.Report{}, FailOn: meshcheck.Info}
	if clean.Failed() {
		t.Error("clean report failed")
	}
	if !(Result{FailOn: meshcheck.Info}).Failed() {
		t.Error("a result without a report (nothing checked) must fail")
	}
	res := sample()
	res.FailOn = meshcheck.Error
	res.Report.Findings = res.Report.Findings[1:] // warning + info only
	if res.Failed() {
		t.Error("--fail-on error failed on a warning")
	}
	if err := Write(&bytes.Buffer{}, "xml", res); err == nil {
		t.Error("unknown format accepted")
	}
}
