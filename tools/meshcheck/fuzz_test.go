package meshcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
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
