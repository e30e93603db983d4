package meshcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// addSeeds feeds every fixture in testdata to the fuzzer.
func addSeeds(f *testing.F) {
	var n int
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".json" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f.Add(b)
		n++
		return nil
	})
	if err != nil || n == 0 {
		f.Fatalf("seeds: %d, %v", n, err)
	}
	f.Add([]byte(helmRender))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n  - &a {apiVersion: v1, kind: Service, metadata: {name: a}}\n  - *a\n"))
	f.Add([]byte("--- |\n  text\n...\n---\n<<: {a: b}\n"))
}

// FuzzParse: any bytes parse to objects and/or input errors, never a panic;
// every input error names the file, every object has a kind and a name.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Parse(bytes.NewReader(data), "fuzz.yaml")
		var ie InputErrors
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("non-input error: %v", err)
		}
		for _, e := range ie {
			if e.File != "fuzz.yaml" || e.Line < 0 || e.Msg == "" {
				t.Fatalf("bad input error: %+v", e)
			}
		}
		for _, o := range objs {
			if o.Kind == "" || o.Name == "" || o.APIVersion == "" || o.Line < 1 {
				t.Fatalf("object without kind/name/apiVersion/line: %+v", o)
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
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) +
			bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r")) + 1
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

// FuzzNodeJSON: the fast YAML-to-JSON path must agree with the general one
// (decode to interface, marshal) whenever it accepts a document.
func FuzzNodeJSON(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("a: 017\nb: 0x1F\nc: 1_000\nd: 1.5e3\ne: True\nf: ~\ng: '1'\nh: [1, -2, +3]\ni: .5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if err := safeDecode(yaml.NewDecoder(bytes.NewReader(data)).Decode, &doc); err != nil || len(doc.Content) == 0 {
			return
		}
		n := doc.Content[0]
		var buf bytes.Buffer
		if !nodeJSON(n, &buf) {
			return
		}
		var fast any
		if err := json.Unmarshal(buf.Bytes(), &fast); err != nil {
			t.Fatalf("fast path wrote invalid JSON %q: %v", buf.Bytes(), err)
		}
		var v any
		if err := safeDecode(n.Decode, &v); err != nil {
			t.Fatalf("fast path accepted what the general path rejects (%v): %q", err, data)
		}
		slowJSON, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("fast path accepted what JSON cannot hold (%v): %q", err, data)
		}
		var slow any
		if err := json.Unmarshal(slowJSON, &slow); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("paths disagree on %q:\nfast %s\nslow %s", data, buf.Bytes(), slowJSON)
		}
	})
}

// FuzzWriteJSONString: the string writer's output is byte for byte
// encoding/json's.
func FuzzWriteJSONString(f *testing.F) {
	for _, s := range []string{"", "plain text", `q"b\s`, "<a&b>", "tab\there", "\x00\x1f\x7f", "é\u2028\u2029", "\xff\xfe", "ghcr.io/x:1.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		writeJSONString(&buf, s)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("writeJSONString(%q) = %s, encoding/json writes %s", s, buf.Bytes(), want)
		}
	})
}

// FuzzFastJSONMatchesStrict: whatever fastJSON decodes into a known kind's
// type, sigs.k8s.io/json decodes strictly (no error, no unknown or
// duplicate field) to the same value. The input is tried as JSON and as
// YAML turned into JSON the way decodeObject does it, against every kind.
func FuzzFastJSONMatchesStrict(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"ports":[{"port":80,"targetPort":"http"}]}}`))
	f.Add([]byte(`{"spec":{"replicas":1e1,"template":{"spec":{"containers":[{"resources":{"limits":{"cpu":1.5}}}]}}}}`))
	f.Add([]byte(`{"metadata":{"creationTimestamp":"2001-01-01T00:00:00Z","Name":"x"},"spec":{"replicas":4294967297}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := [][]byte{data}
		if root, ok := parseFast(string(data)); ok {
			var buf bytes.Buffer
			if root.json(&buf) {
				inputs = append(inputs, buf.Bytes())
			}
		}
		for _, in := range inputs {
			for gk, k := range known {
				fast := k.new()
				if fastJSON.Unmarshal(in, fast) != nil {
					continue
				}
				strict := k.new()
				errs, err := kjson.UnmarshalStrict(in, strict, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
				if err != nil || len(errs) > 0 {
					t.Fatalf("%s: fastJSON accepted what the strict decoder rejects (%v %v): %s", gk, err, errs, in)
				}
				if !reflect.DeepEqual(fast, strict) {
					t.Fatalf("%s: decoders disagree on %s:\nfast   %+v\nstrict %+v", gk, in, fast, strict)
				}
			}
		}
	})
}

// trickyJSON are values that decoders disagree on when they disagree at
// all: number forms and ranges, wrong types, nulls, escapes.
var trickyJSON = []string{
	`0`, `-0`, `1.0`, `1e3`, `1E+2`, `-1`, `2147483647`, `2147483648`, `-2147483649`, `9223372036854775807`, `9223372036854775808`,
	`18446744073709551616`, `1.5`, `"1"`, `"x"`, `""`, `"50m"`, `"1Gi"`, `"1.5e3"`, `"2001-01-01T00:00:00Z"`, `"2001-01-01"`, `true`, `false`,
	`null`, `{}`, `[]`, `[1]`, `["a"]`, `[null]`, `{"a":"b"}`, `{"a":1}`, `"\u00e9\n"`, `"\u003c"`, `"http"`, `"TCP"`, `"Always"`,
}

// TestFastJSONMutatedObjects decodes 10,000 mutations of the fixtures'
// known objects (a value replaced by a tricky one, a key renamed, upper-cased
// or added) with both decoders: fastJSON must reject whatever the strict
// decoder rejects and agree on the rest.
func TestFastJSONMutatedObjects(t *testing.T) {
	type base struct {
		k    func() any
		tree any
	}
	var bases []base
	for _, p := range []string{"testdata/tutorial/tutorial.yaml", "testdata/rules/MC010/bad.yaml", "testdata/rules/MC040/bad.yaml", "testdata/rules/MC064/good.yaml", "testdata/rules/MC001/bad.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := Parse(bytes.NewReader(b), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.Typed == nil {
				continue
			}
			var buf bytes.Buffer
			if !nodeJSON(o.tree(), &buf) {
				t.Fatalf("%s: %s has no JSON", p, o.Ref())
			}
			dec := json.NewDecoder(&buf)
			dec.UseNumber()
			var tree any
			if err := dec.Decode(&tree); err != nil {
				t.Fatal(err)
			}
			gv, _ := schema.ParseGroupVersion(o.APIVersion)
			bases = append(bases, base{known[schema.GroupKind{Group: gv.Group, Kind: o.Kind}].new, tree})
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	var agreed, rejected int
	for range 10000 {
		b := bases[r.IntN(len(bases))]
		tree := mutateJSON(r, cloneJSON(b.tree), 1+r.IntN(2))
		in, err := json.Marshal(tree)
		if err != nil {
			t.Fatal(err)
		}
		fast := b.k()
		if fastJSON.Unmarshal(in, fast) != nil {
			rejected++
			continue
		}
		strict := b.k()
		errs, err := kjson.UnmarshalStrict(in, strict, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
		if err != nil || len(errs) > 0 {
			t.Fatalf("fastJSON accepted what the strict decoder rejects (%v %v): %s", err, errs, in)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("decoders disagree on %s:\nfast   %+v\nstrict %+v", in, fast, strict)
		}
		agreed++
	}
	t.Logf("agreed %d, fastJSON rejected %d", agreed, rejected)
	if agreed < 1000 || rejected < 1000 {
		t.Fatalf("mutations should reach both outcomes often: agreed %d, rejected %d", agreed, rejected)
	}
}

func cloneJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = cloneJSON(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = cloneJSON(x)
		}
		return s
	}
	return v
}

// mutateJSON applies n random mutations somewhere in v and returns it.
func mutateJSON(r *rand.Rand, v any, n int) any {
	for range n {
		v = mutateOnce(r, v)
	}
	return v
}

func mutateOnce(r *rand.Rand, v any) any {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 0 && r.IntN(4) != 0 {
			k := keys[r.IntN(len(keys))]
			t[k] = mutateOnce(r, t[k]) // go deeper
			return t
		}
		switch r.IntN(3) {
		case 0:
			if len(keys) > 0 { // rename a key to its capitalised form
				k := keys[r.IntN(len(keys))]
				t[strings.ToUpper(k[:1])+k[1:]] = t[k]
				delete(t, k)
			}
		case 1:
			t["unknownField"] = json.RawMessage(trickyJSON[r.IntN(len(trickyJSON))])
		default:
			if len(keys) > 0 {
				t[keys[r.IntN(len(keys))]] = json.RawMessage(trickyJSON[r.IntN(len(trickyJSON))])
			}
		}
		return t
	case []any:
		if len(t) > 0 && r.IntN(4) != 0 {
			i := r.IntN(len(t))
			t[i] = mutateOnce(r, t[i])
			return t
		}
		return append(t, json.RawMessage(trickyJSON[r.IntN(len(trickyJSON))]))
	}
	return json.RawMessage(trickyJSON[r.IntN(len(trickyJSON))])
}
