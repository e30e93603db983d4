package chart_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// walkSchema calls f on every subschema with its JSON pointer.
func walkSchema(s map[string]any, path string, f func(path string, s map[string]any)) {
	f(path, s)
	for _, k := range []string{"properties", "patternProperties"} {
		props, _ := s[k].(map[string]any)
		for name, p := range props {
			if m, ok := p.(map[string]any); ok {
				walkSchema(m, path+"/"+k+"/"+name, f)
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not"} {
		if m, ok := s[k].(map[string]any); ok {
			walkSchema(m, path+"/"+k, f)
		}
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		alts, _ := s[k].([]any)
		for i, a := range alts {
			if m, ok := a.(map[string]any); ok {
				walkSchema(m, path+"/"+k+"/"+strconv.Itoa(i), f)
			}
		}
	}
}

func TestSchemaIsStrict(t *testing.T) {
	s := loadSchema(t)
	if p := strictProblems(s, ""); len(p) > 0 {
		t.Errorf("values.schema.json is not strict:\n%s", strings.Join(p, "\n"))
	}
	// The check itself can fail.
	loose := map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "object", "properties": map[string]any{}}}, "additionalProperties": false}
	if p := strictProblems(loose, ""); len(p) != 1 || !strings.Contains(p[0], "/a: additionalProperties") {
		t.Errorf("strictProblems(loose) = %v, want one problem at /a", p)
	}
}
