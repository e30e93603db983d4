package meshcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
)

// addSeeds feeds every fixture in testdata to the fuzzer, and inputs that
// take kubectl's less travelled paths.
func addSeeds(f *testing.F) {
	var n int
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		f.Add(b)
		n++
		return err
	})
	if err != nil || n == 0 {
		f.Fatalf("seeds: %d, %v", n, err)
	}
	for _, s := range []string{
		"apiVersion: v1\nkind: List\nitems:\n  - &a {apiVersion: v1, kind: Service, metadata: {name: a}}\n  - *a\n",
		"--- |\n  text\n...\n---\n<<: {a: b}\n",
		"\ufeffapiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n\ufeffapiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}` + "\n" + `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}`,
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}` + " \n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
		"{apiVersion: v1, kind: Namespace, metadata: {name: a}}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {9000: x, on: y}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 0x50, name: http}]}\n",
	} {
		f.Add([]byte(s))
	}
}

type refObject struct {
	apiVersion string
	gvk        schema.GroupVersionKind
	namespace  string
	name       string
	typed      any
}

// kubectlObjects reads data the way kubectl apply -f does, with the
// libraries kubectl uses and nothing of meshcheck's: the BOM transform,
// YAMLOrJSONDecoder (YAML through sigs.k8s.io/yaml), Lists expanded, the
// kinds meshcheck types decoded by the API server's strict decoder.
func kubectlObjects(data []byte) ([]refObject, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(transform.NewReader(bytes.NewReader(data), unicode.BOMOverride(unicode.UTF8.NewDecoder())), 4096)
	var out []refObject
	var expand func(raw []byte, defaults schema.GroupVersionKind) error
	expand = func(raw []byte, defaults schema.GroupVersionKind) error {
		var h struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name         string `json:"name"`
				Namespace    string `json:"namespace"`
				GenerateName string `json:"generateName"`
			} `json:"metadata"`
			Items []json.RawMessage `json:"items"`
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &h); err != nil {
			return err
		}
		gv, err := schema.ParseGroupVersion(h.APIVersion)
		if h.APIVersion == "" && h.Kind == "" {
			gv, h.APIVersion, h.Kind = defaults.GroupVersion(), defaults.GroupVersion().String(), defaults.Kind
		}
		switch {
		case err != nil:
			return err
		case gv.Group == "kustomize.config.k8s.io":
			return nil
		case h.Kind == "List" || strings.HasSuffix(h.Kind, "List") && h.Items != nil:
			item := gv.WithKind(strings.TrimSuffix(h.Kind, "List"))
			if h.Kind == "List" {
				item = schema.GroupVersionKind{}
			}
			for _, it := range h.Items {
				if err := expand(it, item); err != nil {
					return err
				}
			}
			return nil
		}
		o := refObject{apiVersion: h.APIVersion, gvk: gv.WithKind(h.Kind), namespace: h.Metadata.Namespace, name: h.Metadata.Name}
		if o.name == "" {
			o.name = h.Metadata.GenerateName + "*" // meshcheck's name for it
		}
		if k, ok := known[o.gvk.GroupKind()]; ok {
			o.typed = k.new()
			if strict, err := kjson.UnmarshalStrict(raw, o.typed, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields); err != nil || len(strict) > 0 {
				return errors.Join(append(strict, err)...)
			}
		}
		out = append(out, o)
		return nil
	}
	for {
		var ext runtime.RawExtension
		if err := dec.Decode(&ext); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		if err := expand(raw, schema.GroupVersionKind{}); err != nil {
			return out, err
		}
	}
}

// FuzzLoad: meshcheck never panics on any input, and whatever it accepts
// is what kubectl reads: the same objects, the same typed values.
func FuzzLoad(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Parse(bytes.NewReader(data), "fuzz.yaml")
		var ie InputErrors
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("non-input error: %v", err)
		}
		for _, e := range ie {
			if e.File != "fuzz.yaml" || e.Line < 1 || e.Msg == "" {
				t.Fatalf("input error without file, line or message: %+v", e)
			}
		}
		if err != nil {
			return
		}
		ref, err := kubectlObjects(data)
		if err != nil {
			t.Fatalf("meshcheck accepts what kubectl's decoding refuses: %v", err)
		}
		if len(ref) != len(objs) {
			t.Fatalf("meshcheck read %d objects, kubectl %d", len(objs), len(ref))
		}
		for i, o := range objs {
			r := ref[i]
			if o.APIVersion != r.apiVersion || o.Kind != r.gvk.Kind || o.Namespace != r.namespace || o.Name != r.name || o.LineOf() < 1 {
				t.Fatalf("object %d: meshcheck %s %s (line %d), kubectl %v %s/%s", i, o.APIVersion, o.Ref(), o.LineOf(), r.gvk, r.namespace, r.name)
			}
			if r.typed != nil && !reflect.DeepEqual(o.Typed, r.typed) {
				t.Fatalf("object %d (%s) decodes differently:\nmeshcheck %#v\nkubectl   %#v", i, o.Ref(), o.Typed, r.typed)
			}
		}
	})
}

// FuzzCheck: whatever parses can be checked in every mode without a panic,
// and every finding points at a real line of the input.
func FuzzCheck(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _ := Parse(bytes.NewReader(data), "fuzz.yaml")
		// YAML ends lines at \r\n, \r or \n; findings use its numbering.
		unix := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		lines := bytes.Count(unix, []byte("\n")) + bytes.Count(unix, []byte("\r")) + 1
		for _, mode := range []MeshMode{MeshAuto, MeshOn} {
			r := Check(objs, Options{Mesh: mode})
			for _, fd := range append(r.Findings, r.Suppressed...) {
				if fd.Line < 1 || fd.Line > lines || fd.Rule == "" || fd.Message == "" {
					t.Fatalf("bad finding: %+v (input has %d lines)", fd, lines)
				}
			}
		}
	})
}
