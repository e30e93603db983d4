package meshcheck

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// checkDirect decodes root into the type of every known kind with
// decodeDirect and, wherever it succeeds, holds it to the JSON path: the
// tree converts to JSON, the strict decoder accepts that JSON (no error, no
// unknown or duplicate field) and builds the same value. It returns how
// many kinds decodeDirect accepted.
func checkDirect(t *testing.T, root *fnode) (accepted int) {
	t.Helper()
	for gk, k := range known {
		direct := k.new()
		if !decodeDirect(root, direct) {
			continue
		}
		accepted++
		var buf bytes.Buffer
		if !root.json(&buf) {
			t.Fatalf("%s: decodeDirect accepted a tree the JSON path refuses:\n%s", gk, dumpTree(root))
		}
		strict := k.new()
		errs, err := kjson.UnmarshalStrict(buf.Bytes(), strict, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
		if err != nil || len(errs) > 0 {
			t.Fatalf("%s: decodeDirect accepted what the strict decoder rejects (%v %v): %s", gk, err, errs, buf.Bytes())
		}
		if !reflect.DeepEqual(direct, strict) {
			t.Fatalf("%s: decoders disagree on %s:\ndirect %+v\nstrict %+v", gk, buf.Bytes(), direct, strict)
		}
	}
	return accepted
}

func dumpTree(n *fnode) string {
	out, err := yaml.Marshal(n.yaml())
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// FuzzDirectMatchesStrict: whatever decodeDirect decodes into a known
// kind's type, the strict decoder decodes from the tree's JSON to the same
// value.
func FuzzDirectMatchesStrict(f *testing.F) {
	addFastSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range splitDocs(data) {
			if root, ok := parseFast(c.text); ok {
				checkDirect(t, root)
			}
		}
	})
}

func TestDirectDecode(t *testing.T) {
	const svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
	for _, tc := range []struct {
		name, yaml string
		accept     bool
	}{
		{"service", svc + "spec:\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n", true},
		{"int targetPort in hex", svc + "spec:\n  ports:\n    - port: 80\n      targetPort: 0x50\n", true},
		{"empty collections stay non-nil", svc + "  labels: {}\nspec:\n  ports: []\n", true},
		{"nulls", svc + "  creationTimestamp: null\n  labels:\n    a: ~\nspec:\n  selector: null\n  ipFamilyPolicy: null\n", true},
		{"null struct", svc + "spec: null\n", true},
		{"bool in capitals", svc + "spec:\n  publishNotReadyAddresses: True\n", true},
		{"quantity as a float", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      resources:\n        limits:\n          cpu: 1.5\n          memory: 32Mi\n", true},
		{"quantities", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      resources:\n        requests:\n          cpu: \" 50m \"\n          memory: null\n          x: 0x10\n        limits:\n          cpu: \"5\\u006d\"\n", true},
		{"quantity with an escaped tab", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      resources:\n        limits:\n          cpu: \"\\t50m\"\n", false},
		{"quantity with an escaped newline", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      resources:\n        requests:\n          memory: \"32Mi\\n\"\n", false},
		{"quantity that is not one", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      resources:\n        limits:\n          cpu: 5<\n", false},
		{"inline TypeMeta", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n", true},
		{"unknown field", svc + "spec:\n  portz: []\n", false},
		{"field in the wrong case", svc + "Spec: {}\n", false},
		{"duplicate field", svc + "spec: {}\nspec: {}\n", false},
		{"duplicate label", svc + "  labels:\n    a: b\n    a: c\n", false},
		{"int32 overflow", svc + "spec:\n  ports:\n    - port: 2147483648\n", false},
		{"targetPort overflow", svc + "spec:\n  ports:\n    - port: 80\n      targetPort: 2147483648\n", false},
		{"float for an int", svc + "spec:\n  ports:\n    - port: 8e1\n", false},
		{"string for an int", svc + "spec:\n  ports:\n    - port: \"80\"\n", false},
		{"int for a string", svc + "spec:\n  type: 1\n", false},
		{"int label value", svc + "  labels:\n    a: 1\n", false},
		{"sequence for a struct", svc + "spec:\n  - a\n", false},
		{"non-string key", svc + "  labels:\n    1: a\n", false},
		{"timestamp for a string", svc + "  labels:\n    a: 2001-01-01\n", false},
		{"merge key", svc + "spec:\n  <<: {}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, ok := parseFast(tc.yaml)
			if !ok {
				t.Fatalf("fast path refused the test document:\n%s", tc.yaml)
			}
			gv, _ := schema.ParseGroupVersion(root.scalarAt("apiVersion"))
			k := known[schema.GroupKind{Group: gv.Group, Kind: root.scalarAt("kind")}]
			if got := decodeDirect(root, k.new()); got != tc.accept {
				t.Errorf("decodeDirect = %v, want %v", got, tc.accept)
			}
			checkDirect(t, root)
		})
	}
}

// TestDirectEmptyCollections pins what reflect.DeepEqual in checkDirect
// cannot tell from a missing value: [] and {} decode to empty, non-nil values.
func TestDirectEmptyCollections(t *testing.T) {
	root, ok := parseFast("metadata:\n  labels: {}\nspec:\n  ports: []\n")
	if !ok {
		t.Fatal("fast path refused the document")
	}
	var s corev1.Service
	if !decodeDirect(root, &s) {
		t.Fatal("decodeDirect refused the document")
	}
	if s.Labels == nil || s.Spec.Ports == nil {
		t.Errorf("labels %#v, ports %#v: want empty, non-nil", s.Labels, s.Spec.Ports)
	}
}

// kitchenSink holds objects that use many of their kinds' fields.
const kitchenSink = "testdata/direct/kitchen-sink.yaml"

// TestDirectCoversKnownKinds: every object of a known kind in the rendered
// overlays and the fixtures decodes directly, so real manifests never pay
// for the general path, and every struct type the kinds reach is one
// decodeDirect handles.
func TestDirectCoversKnownKinds(t *testing.T) {
	inputs := renderedOverlays(t)
	for _, p := range []string{"testdata/tutorial/tutorial.yaml", "testdata/rules/MC040/bad.yaml", "testdata/rules/MC064/good.yaml", kitchenSink} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs[p] = b
	}
	var decoded int
	for name, data := range inputs {
		for _, c := range splitDocs(data) {
			root, ok := parseFast(c.text)
			if name == kitchenSink && !ok {
				t.Errorf("%s:%d: the fast path refused the document", name, c.line)
			}
			if !ok || yaml.Kind(root.kind) != yaml.MappingNode {
				continue
			}
			gv, _ := schema.ParseGroupVersion(root.scalarAt("apiVersion"))
			k, isKnown := known[schema.GroupKind{Group: gv.Group, Kind: root.scalarAt("kind")}]
			if !isKnown {
				continue
			}
			if !decodeDirect(root, k.new()) {
				t.Errorf("%s:%d: decodeDirect refused a %s", name, c.line, root.scalarAt("kind"))
			}
			decoded++
		}
	}
	if decoded < 10 {
		t.Errorf("only %d known objects decoded", decoded)
	}
	empty := &fnode{kind: uint8(yaml.MappingNode), tag: tagIndex("!!map")}
	for _, k := range known {
		for _, st := range structTypes(reflect.TypeOf(k.new()).Elem(), map[reflect.Type]bool{}) {
			if !directDecoderFor(st).decode(empty, reflect.New(st).Elem()) {
				t.Errorf("decodeDirect refuses every %v (reached from %T)", st, k.new())
			}
		}
	}
}

// structTypes lists the struct types t reaches through fields, pointers,
// slices and maps, stopping at types with their own UnmarshalJSON.
func structTypes(t reflect.Type, seen map[reflect.Type]bool) []reflect.Type {
	if seen[t] {
		return nil
	}
	seen[t] = true
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return structTypes(t.Elem(), seen)
	case reflect.Struct:
		out := []reflect.Type{t}
		for i := range t.NumField() {
			out = append(out, structTypes(t.Field(i).Type, seen)...)
		}
		return out
	}
	return nil
}

// trickyYAML are scalars YAML and JSON disagree on, or that sit on a
// decoder's edges: number forms and ranges, YAML 1.1 words, nulls,
// timestamps, quoting.
var trickyYAML = []struct {
	value string
	style yaml.Style
}{
	{"0", 0}, {"-0", 0}, {"1.0", 0}, {"1e3", 0}, {"0x1F", 0}, {"0o17", 0}, {"0b101", 0}, {"+5", 0}, {"1_000", 0},
	{"2147483647", 0}, {"2147483648", 0}, {"-2147483649", 0}, {"9223372036854775808", 0}, {".inf", 0}, {".nan", 0},
	{"~", 0}, {"null", 0}, {"Null", 0}, {"true", 0}, {"True", 0}, {"FALSE", 0}, {"yes", 0}, {"on", 0},
	{"", yaml.DoubleQuotedStyle}, {"1", yaml.DoubleQuotedStyle}, {"x", yaml.SingleQuotedStyle}, {"50m", 0}, {"1Gi", 0},
	{"1.5e3", 0}, {"2001-01-01T00:00:00Z", 0}, {"2001-01-01", 0}, {"2001-01-01T00:00:00Z", yaml.DoubleQuotedStyle},
	{"http", 0}, {"TCP", 0}, {"é\n", yaml.DoubleQuotedStyle}, {"<>&", 0},
}

func trickyNode(r *rand.Rand) *yaml.Node {
	switch r.IntN(8) {
	case 0:
		return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	case 1:
		return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	case 2:
		return &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{trickyNode(r)}}
	case 3:
		return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "a"}, trickyNode(r)}}
	}
	s := trickyYAML[r.IntN(len(trickyYAML))]
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s.value, Style: s.style}
}

// mutateNode applies one random change somewhere under n: a value replaced
// by a tricky one (most often), a key capitalised, duplicated or added.
func mutateNode(r *rand.Rand, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) > 0 && r.IntN(4) != 0 {
			mutateNode(r, n.Content[2*r.IntN(len(n.Content)/2)+1])
			return
		}
		i := 2 * r.IntN(max(1, len(n.Content)/2))
		switch r.IntN(6) {
		case 0:
			if len(n.Content) > 0 {
				k := n.Content[i]
				k.Value = strings.ToUpper(k.Value[:min(1, len(k.Value))]) + k.Value[min(1, len(k.Value)):]
			}
		case 1:
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "unknownField"}, trickyNode(r))
		case 2:
			if len(n.Content) > 0 {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: n.Content[i].Value}, trickyNode(r))
			}
		default:
			if len(n.Content) > 0 {
				n.Content[i+1] = trickyNode(r)
			}
		}
	case yaml.SequenceNode:
		if len(n.Content) > 0 && r.IntN(4) != 0 {
			mutateNode(r, n.Content[r.IntN(len(n.Content))])
			return
		}
		n.Content = append(n.Content, trickyNode(r))
	default:
		*n = *trickyNode(r)
	}
}

// TestDirectMutatedObjects decodes 10,000 mutations of the fixtures' known
// objects, written as block YAML: decodeDirect must agree with the strict
// decoder wherever it accepts, and the mutations must reach both outcomes.
func TestDirectMutatedObjects(t *testing.T) {
	var bases []string
	for _, p := range []string{"testdata/tutorial/tutorial.yaml", "testdata/rules/MC010/bad.yaml", "testdata/rules/MC040/bad.yaml", "testdata/rules/MC064/good.yaml", "testdata/rules/MC001/bad.yaml", kitchenSink} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range splitDocs(b) {
			if root, ok := parseFast(c.text); ok && yaml.Kind(root.kind) == yaml.MappingNode && checkDirect(t, root) > 0 {
				bases = append(bases, c.text)
			}
		}
	}
	if len(bases) < 5 {
		t.Fatalf("%d base objects", len(bases))
	}
	r := rand.New(rand.NewPCG(5, 6))
	var accepted, refused, notFast int
	for range 10000 {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(bases[r.IntN(len(bases))]), &n); err != nil {
			t.Fatal(err)
		}
		mutateNode(r, n.Content[0])
		out, err := yaml.Marshal(n.Content[0])
		if err != nil {
			t.Fatal(err)
		}
		root, ok := parseFast(string(out))
		if !ok {
			notFast++
			continue
		}
		if checkDirect(t, root) > 0 {
			accepted++
		} else {
			refused++
		}
	}
	t.Logf("accepted %d, refused %d, outside the fast path %d", accepted, refused, notFast)
	if accepted < 1000 || refused < 1000 {
		t.Fatalf("mutations should reach both outcomes often: accepted %d, refused %d", accepted, refused)
	}
}

func TestDirectRefusesNonPointers(t *testing.T) {
	root, _ := parseFast("metadata: {}\n")
	for _, v := range []any{corev1.Service{}, (*corev1.Service)(nil), nil} {
		if decodeDirect(root, v) {
			t.Errorf("decodeDirect(%s) = true, want false", fmt.Sprintf("%T", v))
		}
	}
}

// Types that reach decodeDirect's refusals; no k8s.io/api type of a known
// kind does, so they are declared here.
type (
	directEmbedded struct {
		X string `json:"x"`
	}
	directTextKey  string
	directNamedInt int
)

func (k *directTextKey) UnmarshalText(b []byte) error {
	*k = directTextKey("t:" + string(b))
	return nil
}

// TestDirectRefusals: the shapes decodeDirect leaves to the strict decoder
// (its rules for them are subtler than worth copying) are refused, and
// what it does accept among them matches the strict decoder.
func TestDirectRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		newV       func() any
		accept     bool
	}{
		{"two fields, one name", "a: x\n", func() any {
			// Built at run time: go vet rightly refuses the literal.
			str := reflect.TypeFor[string]()
			return reflect.New(reflect.StructOf([]reflect.StructField{
				{Name: "A", Type: str, Tag: `json:"a"`},
				{Name: "B", Type: str, Tag: `json:"a"`},
			})).Interface()
		}, false},
		{"an outer field shadowing an embedded one", "x: y\n", func() any {
			return &struct {
				directEmbedded
				X string `json:"x"`
			}{}
		}, false},
		{"embedded struct promoted", "x: y\n", func() any { return &struct{ directEmbedded }{} }, true},
		{"embedded pointer", "x: y\n", func() any { return &struct{ *directEmbedded }{} }, false},
		{"unexported embedded non-struct", "a: x\n", func() any {
			return &struct {
				directNamedInt
				A string `json:"a"`
			}{}
		}, false},
		{",string option", "n: 1\n", func() any {
			return &struct {
				N int `json:"n,string"`
			}{}
		}, false},
		{"json:\"-\" is not a field", "A: x\n", func() any {
			return &struct {
				A string `json:"-"`
			}{}
		}, false},
		{"json:\"-,\" is the field \"-\"", "\"-\": x\n", func() any {
			// Built at run time: linters rightly question the literal.
			return reflect.New(reflect.StructOf([]reflect.StructField{
				{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"-,"`},
			})).Interface()
		}, true},
		{"[]byte is base64 in JSON", "b: eA==\n", func() any {
			return &struct {
				B []byte `json:"b"`
			}{}
		}, false},
		{"TextUnmarshaler map key", "m:\n  a: b\n", func() any {
			return &struct {
				M map[directTextKey]string `json:"m"`
			}{}
		}, false},
		{"TextUnmarshaler value", "k: a\n", func() any {
			return &struct {
				K directTextKey `json:"k"`
			}{}
		}, false},
		{"float", "f: 1.5\n", func() any {
			return &struct {
				F float64 `json:"f"`
			}{}
		}, false},
		{"interface", "i: x\n", func() any {
			return &struct {
				I any `json:"i"`
			}{}
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root, ok := parseFast(tt.yaml)
			if !ok {
				t.Fatalf("fast path refused %q", tt.yaml)
			}
			direct := tt.newV()
			got := decodeDirect(root, direct)
			if got != tt.accept {
				t.Fatalf("decodeDirect = %v, want %v", got, tt.accept)
			}
			if !got {
				return
			}
			var buf bytes.Buffer
			if !root.json(&buf) {
				t.Fatal("no JSON for an accepted tree")
			}
			strict := tt.newV()
			errs, err := kjson.UnmarshalStrict(buf.Bytes(), strict, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
			if err != nil || len(errs) > 0 || !reflect.DeepEqual(direct, strict) {
				t.Errorf("strict decoder: %v %v %+v; direct %+v", err, errs, strict, direct)
			}
		})
	}
}
