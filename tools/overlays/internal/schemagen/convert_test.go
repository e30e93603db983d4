package schemagen

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKindFile(t *testing.T) {
	tests := []struct {
		gvk  schema.GroupVersionKind
		want string
	}{
		{schema.GroupVersionKind{Group: "", Version: "v1", Kind: "Service"}, "service-v1.json"},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, "deployment-apps-v1.json"},
		{schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}, "networkpolicy-networking-v1.json"},
		{schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}, "horizontalpodautoscaler-autoscaling-v2.json"},
	}
	for _, tt := range tests {
		if got := kindFile(tt.gvk); got != tt.want {
			t.Errorf("kindFile(%v) = %q, want %q", tt.gvk, got, tt.want)
		}
	}
	if got, want := crdFile(schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}), "crds/networking.istio.io/virtualservice_v1.json"; got != want {
		t.Errorf("crdFile() = %q, want %q", got, want)
	}
}

func TestOpenAPIConvert(t *testing.T) {
	defs := map[string]map[string]any{
		"a.Thing": mustJSON(t, `{"type":"object","required":["spec"],
			"x-kubernetes-group-version-kind":[{"group":"apps","version":"v1","kind":"Thing"}],
			"properties":{"spec":{"$ref":"#/definitions/a.Spec","description":"d"},"note":{"type":"string"}}}`),
		"a.Spec": mustJSON(t, `{"type":"object","description":"gone","properties":{
			"port":{"$ref":"#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
			"cpu":{"$ref":"#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"},
			"self":{"$ref":"#/definitions/a.Spec"},
			"labels":{"type":"object","additionalProperties":{"type":"string"}},
			"description":{"type":"string"}}}`),
		"io.k8s.apimachinery.pkg.util.intstr.IntOrString": mustJSON(t, `{"type":"string","format":"int-or-string"}`),
		"io.k8s.apimachinery.pkg.api.resource.Quantity":   mustJSON(t, `{"type":"string"}`),
	}
	o := &openAPI{defs: defs}
	kinds, err := o.kindSchemas()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := kinds["thing-apps-v1.json"]
	if !ok {
		t.Fatalf("kindSchemas() files = %v, want thing-apps-v1.json", reflect.ValueOf(kinds).MapKeys())
	}
	want := mustJSON(t, `{
		"type":"object","additionalProperties":false,"required":["apiVersion","kind","spec"],
		"properties":{
			"apiVersion":{"type":"string","enum":["apps/v1"]},
			"kind":{"type":"string","enum":["Thing"]},
			"note":{"type":["string","null"]},
			"spec":{"type":"object","additionalProperties":false,"properties":{
				"port":{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]},
				"cpu":{"oneOf":[{"type":"string"},{"type":"number"},{"type":"null"}]},
				"self":{},
				"labels":{"type":["object","null"],"additionalProperties":{"type":"string"}},
				"description":{"type":["string","null"]}}}}}`)
	if !reflect.DeepEqual(roundTrip(t, got), want) {
		g, _ := json.Marshal(got)
		t.Errorf("schema =\n%s\nwant the strict, inlined form", g)
	}
}

func TestOpenAPIBadRef(t *testing.T) {
	o := &openAPI{defs: map[string]map[string]any{
		"a.Thing": mustJSON(t, `{"properties":{"x":{"$ref":"#/definitions/missing"}},
			"x-kubernetes-group-version-kind":[{"group":"","version":"v1","kind":"Thing"}]}`),
	}}
	if _, err := o.kindSchemas(); err == nil {
		t.Fatal("kindSchemas() accepted a $ref to a missing definition")
	}
}

func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, string(b))
}

const crdYAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: dropped
            x-kubernetes-validations:
            - rule: self.size > 0
            properties:
              size:
                x-kubernetes-int-or-string: true
              note:
                type: string
                nullable: true
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known:
                    type: string
  - name: v0
    served: false
    schema:
      openAPIV3Schema:
        type: object
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-crd
`

func TestCRDSchemas(t *testing.T) {
	meta := map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{"name": map[string]any{"type": "string"}}}
	files, err := crdSchemas([]byte(crdYAML), meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("crdSchemas() wrote %d files, want 1 (only served versions)", len(files))
	}
	got := mustJSON(t, string(files["crds/example.com/widget_v1.json"]))
	want := mustJSON(t, `{
		"type":"object","additionalProperties":false,"required":["apiVersion","kind"],
		"properties":{
			"apiVersion":{"type":"string","enum":["example.com/v1"]},
			"kind":{"type":"string","enum":["Widget"]},
			"metadata":{"type":"object","additionalProperties":false,"properties":{"name":{"type":"string"}}},
			"spec":{"type":"object","additionalProperties":false,"properties":{
				"size":{"anyOf":[{"type":"string"},{"type":"integer"}]},
				"note":{"type":["string","null"]},
				"extra":{"type":"object","properties":{"known":{"type":"string"}}}}}}}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CRD schema =\n%s", files["crds/example.com/widget_v1.json"])
	}
}

func TestCRDSchemasRejects(t *testing.T) {
	tests := map[string]string{
		"no CRD":      "apiVersion: v1\nkind: ConfigMap\n",
		"bad YAML":    "kind: [\n",
		"no schema":   "kind: CustomResourceDefinition\nspec:\n  group: g\n  names: {kind: K}\n  versions: [{name: v1, served: true}]\n",
		"$ref in CRD": "kind: CustomResourceDefinition\nspec:\n  group: g\n  names: {kind: K}\n  versions: [{name: v1, served: true, schema: {openAPIV3Schema: {properties: {a: {$ref: x}}}}}]\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := crdSchemas([]byte(in), map[string]any{}); err == nil {
				t.Error("crdSchemas() = nil error")
			}
		})
	}
}

func FuzzCRDSchemas(f *testing.F) {
	f.Add([]byte(crdYAML))
	f.Add([]byte("kind: CustomResourceDefinition\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Must never panic, whatever the input.
		_, _ = crdSchemas(data, map[string]any{})
	})
}
