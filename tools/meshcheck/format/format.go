// Package format renders a meshcheck result as text, JSON, GitHub workflow
// commands or SARIF 2.1.0.
package format

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

// Result is what a run produced: a report, or the input errors that
// stopped it from checking (then Report is nil and the run fails).
type Result struct {
	Report  *meshcheck.Report
	Errors  meshcheck.InputErrors
	FailOn  meshcheck.Severity
	Version string
}

// Failed reports whether the run fails: input errors or findings at or
// above FailOn.
func (r Result) Failed() bool {
	return len(r.Errors) > 0 || r.Report == nil || r.Report.Fails(r.FailOn)
}

// Names lists the formats Write accepts.
var Names = []string{"text", "json", "github", "sarif"}

// Write renders res in the named format.
func Write(w io.Writer, name string, res Result) error {
	switch name {
	case "text":
		return Text(w, res)
	case "json":
		return JSON(w, res)
	case "github":
		return GitHub(w, res)
	case "sarif":
		return SARIF(w, res)
	}
	return fmt.Errorf("format %q: want one of %s", name, strings.Join(Names, ", "))
}

// Summary is the one-line account every format carries.
type Summary struct {
	Objects                int    `json:"objects"`
	Findings               int    `json:"findings"`
	Errors                 int    `json:"errors"`
	Warnings               int    `json:"warnings"`
	Info                   int    `json:"info"`
	Suppressed             int    `json:"suppressed"`
	SuppressedByAnnotation int    `json:"suppressedByAnnotation"`
	SuppressedByIgnore     int    `json:"suppressedByIgnore"`
	InputErrors            int    `json:"inputErrors"`
	FailOn                 string `json:"failOn"`
	Failed                 bool   `json:"failed"`
	Mesh                   bool   `json:"mesh"`
	MeshReason             string `json:"meshReason,omitempty"`
}

// Summarize counts res.
func Summarize(res Result) Summary {
	s := Summary{InputErrors: len(res.Errors), FailOn: res.FailOn.String(), Failed: res.Failed()}
	if r := res.Report; r != nil {
		s.Objects, s.Findings, s.Suppressed = r.Objects, len(r.Findings), len(r.Suppressed)
		s.Mesh, s.MeshReason = r.Mesh, r.MeshReason
		bySeverity := map[meshcheck.Severity]*int{meshcheck.Error: &s.Errors, meshcheck.Warning: &s.Warnings, meshcheck.Info: &s.Info}
		for _, f := range r.Findings {
			*bySeverity[f.Severity]++
		}
		for _, f := range r.Suppressed {
			if f.SuppressedBy == meshcheck.SuppressedByAnnotation {
				s.SuppressedByAnnotation++
			} else {
				s.SuppressedByIgnore++
			}
		}
	}
	return s
}

// String is the human summary line.
func (s Summary) String() string {
	if s.InputErrors > 0 {
		return fmt.Sprintf("meshcheck: %d input error(s); nothing checked (fix the input, exit 2)", s.InputErrors)
	}
	mesh := "mesh mode off"
	if s.Mesh {
		mesh = "mesh mode on (" + s.MeshReason + ")"
	}
	verdict := "PASS"
	if s.Failed {
		verdict = "FAIL"
	}
	return fmt.Sprintf("meshcheck: %s: %d finding(s) (%d error, %d warning, %d info) in %d object(s); %d suppressed (%d by annotation, %d by --ignore); %s; --fail-on %s",
		verdict, s.Findings, s.Errors, s.Warnings, s.Info, s.Objects, s.Suppressed, s.SuppressedByAnnotation, s.SuppressedByIgnore, mesh, s.FailOn)
}

// Text groups findings by object, each with its fix.
func Text(w io.Writer, res Result) error {
	var b strings.Builder
	for _, e := range res.Errors {
		fmt.Fprintf(&b, "input error: %s\n", e)
	}
	if res.Report != nil {
		// Group by object in order of first appearance, whatever order the
		// findings come in.
		var keys []string
		groups := map[string][]meshcheck.Finding{}
		for _, f := range res.Report.Findings {
			k := f.Object() + "\x00" + f.File
			if _, ok := groups[k]; !ok {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], f)
		}
		indent := strings.NewReplacer("\r\n", "\n      ", "\n", "\n      ")
		for _, k := range keys {
			fs := groups[k]
			fmt.Fprintf(&b, "%s  (%s", fs[0].Object(), fs[0].File)
			if fs[0].Source != "" {
				fmt.Fprintf(&b, ", template %s", fs[0].Source)
			}
			b.WriteString(")\n")
			for _, f := range fs {
				code := ""
				if f.IstioCode != "" {
					code = " [" + f.IstioCode + "]"
				}
				fmt.Fprintf(&b, "  %s:%d: %s %s %s%s\n    %s\n    fix: %s\n", f.File, f.Line, f.Severity, f.Rule, f.RuleName, code, indent.Replace(f.Message), indent.Replace(f.Fix))
			}
			b.WriteString("\n")
		}
	}
	b.WriteString(Summarize(res).String())
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonDoc struct {
	Tool        string                `json:"tool"`
	Version     string                `json:"version"`
	Summary     Summary               `json:"summary"`
	Findings    []meshcheck.Finding   `json:"findings"`
	Suppressed  []meshcheck.Finding   `json:"suppressed"`
	InputErrors meshcheck.InputErrors `json:"inputErrors"`
}

// JSON writes one document with the summary, findings, suppressed findings
// and input errors.
func JSON(w io.Writer, res Result) error {
	doc := jsonDoc{Tool: "meshcheck", Version: res.Version, Summary: Summarize(res),
		Findings: []meshcheck.Finding{}, Suppressed: []meshcheck.Finding{}, InputErrors: meshcheck.InputErrors{}}
	if res.Report != nil {
		doc.Findings, doc.Suppressed = res.Report.Findings, res.Report.Suppressed
	}
	if res.Errors != nil {
		doc.InputErrors = res.Errors
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// GitHub writes workflow commands (::error, ::warning, ::notice) that
// annotate the PR's files, then the summary as a plain log line.
func GitHub(w io.Writer, res Result) error {
	var b strings.Builder
	for _, e := range res.Errors {
		b.WriteString(ghCommand("error", e.File, e.Line, "meshcheck input error", e.Msg))
	}
	if res.Report != nil {
		for _, f := range res.Report.Findings {
			title := f.Rule + " " + f.RuleName
			if f.IstioCode != "" {
				title += " (" + f.IstioCode + ")"
			}
			msg := f.Object() + ": " + f.Message
			if f.Source != "" {
				msg += " [template " + f.Source + "]"
			}
			msg += "\nFix: " + f.Fix
			b.WriteString(ghCommand(ghLevel(f.Severity), f.File, f.Line, title, msg))
		}
	}
	b.WriteString(Summarize(res).String())
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func ghLevel(s meshcheck.Severity) string {
	switch s {
	case meshcheck.Error:
		return "error"
	case meshcheck.Warning:
		return "warning"
	}
	return "notice"
}

// ghCommand builds one workflow command. Standard input has no file to
// annotate, so file and line are left off for it.
func ghCommand(level, file string, line int, title, msg string) string {
	var props []string
	if file != "" && file != meshcheck.StdinName {
		props = append(props, "file="+ghProperty(file))
		if line > 0 {
			props = append(props, fmt.Sprintf("line=%d", line))
		}
	}
	props = append(props, "title="+ghProperty(title))
	return "::" + level + " " + strings.Join(props, ",") + "::" + ghData(msg) + "\n"
}

// ghData escapes a command's message as the runner unescapes it.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a property value: data escapes plus ':' and ','.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
