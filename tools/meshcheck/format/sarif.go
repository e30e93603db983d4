package format

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

// SARIF 2.1.0, the subset code scanning reads. Field names follow the spec.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

func sarifLevel(s meshcheck.Severity) string {
	switch s {
	case meshcheck.Error:
		return "error"
	case meshcheck.Warning:
		return "warning"
	}
	return "note"
}

func physical(file string, line int) *sarifPhysical {
	p := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: "stdin"}}
	if file != meshcheck.StdinName {
		p.ArtifactLocation.URI = filepath.ToSlash(file)
		if !filepath.IsAbs(file) {
			// Relative paths resolve against the checkout, as code scanning expects.
			p.ArtifactLocation.URIBaseID = "%SRCROOT%"
		} else {
			p.ArtifactLocation.URI = "file://" + filepath.ToSlash(file)
		}
	}
	if line > 0 {
		p.Region = &sarifRegion{StartLine: line}
	}
	return p
}

// SARIF writes a SARIF 2.1.0 log for code scanning. Suppressed findings are
// included with a suppression (inSource for the annotation, external for
// --ignore); input errors become tool execution notifications and mark the
// run unsuccessful.
func SARIF(w io.Writer, res Result) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "meshcheck", Version: res.Version,
			InformationURI: "https://github.com/asm-ready/asm-ready/tree/main/tools/meshcheck",
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: len(res.Errors) == 0}},
		Results:     []sarifResult{},
		Properties:  map[string]any{"summary": Summarize(res)},
	}
	index := map[string]int{}
	for i, r := range meshcheck.Rules {
		index[r.ID] = i
		props := map[string]any{"tags": []string{"mesh", r.Group}, "group": r.Group}
		if r.IstioCode != "" {
			props["istioCode"] = r.IstioCode
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: r.ID, Name: r.Name,
			ShortDescription:     sarifText{r.Summary},
			FullDescription:      sarifText{r.Rationale},
			Help:                 sarifText{"Fix: " + r.Fix},
			DefaultConfiguration: sarifConfig{sarifLevel(r.Severity)},
			Properties:           props,
		})
	}
	for _, e := range res.Errors {
		run.Invocations[0].Notifications = append(run.Invocations[0].Notifications, sarifNotification{
			Level: "error", Message: sarifText{e.Msg},
			Locations: []sarifLocation{{PhysicalLocation: physical(e.File, e.Line)}},
		})
	}
	if res.Report != nil {
		add := func(f meshcheck.Finding) {
			msg := f.Object() + ": " + f.Message + " Fix: " + f.Fix
			if f.Source != "" {
				msg += " (template " + f.Source + ")"
			}
			r := sarifResult{
				RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
				Message: sarifText{msg},
				Locations: []sarifLocation{{
					PhysicalLocation: physical(f.File, f.Line),
					LogicalLocations: []sarifLogical{{FullyQualifiedName: f.Object(), Kind: "resource"}},
				}},
				// Line-independent, so an alert survives edits above it.
				PartialFingerprints: map[string]string{"meshcheckFinding/v1": fingerprint(f)},
			}
			if f.Source != "" || f.IstioCode != "" {
				r.Properties = map[string]any{}
				if f.Source != "" {
					r.Properties["template"] = f.Source
				}
				if f.IstioCode != "" {
					r.Properties["istioCode"] = f.IstioCode
				}
			}
			switch f.SuppressedBy {
			case meshcheck.SuppressedByAnnotation:
				r.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: "annotation " + meshcheck.IgnoreAnnotation}}
			case meshcheck.SuppressedByFlag:
				r.Suppressions = []sarifSuppression{{Kind: "external", Justification: "meshcheck --ignore " + f.Rule}}
			}
			run.Results = append(run.Results, r)
		}
		for _, f := range res.Report.Findings {
			add(f)
		}
		for _, f := range res.Report.Suppressed {
			add(f)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Version: sarifVersion, Schema: sarifSchema, Runs: []sarifRun{run}})
}

func fingerprint(f meshcheck.Finding) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{f.Rule, f.Kind, f.Namespace, f.Name, f.Message}, "\x00")))
	return hex.EncodeToString(sum[:16])
}
