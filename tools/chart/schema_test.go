package chart_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
)

// strictProblems lists every object schema with declared properties that
// still allows unknown keys: a mistyped key must fail the render.
func strictProblems(s map[string]any, path string) []string {
	var out []string
	if props, ok := s["properties"].(map[string]any); ok {
		if ap, ok := s["additionalProperties"].(bool); !ok || ap {
			out = append(out, path+": additionalProperties is not false")
		}
		if s["type"] != "object" {
			out = append(out, path+": properties without type object")
		}
		for name, p := range props {
			if m, ok := p.(map[string]any); ok {
				out = append(out, strictProblems(m, path+"/"+name)...)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		out = append(out, strictProblems(items, path+"/items")...)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		out = append(out, strictProblems(ap, path+"/*")...)
	}
	return out
}

func TestSchemaIsStrict(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if p := strictProblems(s, ""); len(p) > 0 {
		t.Errorf("values.schema.json is not strict:\n%s", strings.Join(p, "\n"))
	}
	// The check itself can fail.
	loose := map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "object", "properties": map[string]any{}}}, "additionalProperties": false}
	if p := strictProblems(loose, ""); len(p) != 1 || !strings.Contains(p[0], "/a: additionalProperties") {
		t.Errorf("strictProblems(loose) = %v, want one problem at /a", p)
	}
}

// TestKubeVersionRange: the chart installs on the pinned 1.37 and is refused
// below the kubeVersion floor.
func TestKubeVersionRange(t *testing.T) {
	for _, tc := range []struct {
		version string
		ok      bool
	}{{"v1.37.0", true}, {"v1.36.1", true}, {"v1.36.3-gke.1000", true}, {"v1.35.9", false}, {"v1.30.9", false}} {
		t.Run(tc.version, func(t *testing.T) {
			kv, err := chartutil.ParseKubeVersion(tc.version)
			if err != nil {
				t.Fatal(err)
			}
			in := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
			in.DryRun, in.ClientOnly, in.Replace = true, true, true
			in.ReleaseName, in.Namespace, in.KubeVersion = "asm-ready", namespace, kv
			_, err = in.Run(theChart(t), map[string]any{})
			if tc.ok && err != nil {
				t.Errorf("install on %s: %v", tc.version, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "kubeVersion")) {
				t.Errorf("install on %s: %v, want a kubeVersion error", tc.version, err)
			}
		})
	}
}
