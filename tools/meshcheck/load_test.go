package meshcheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

const helmRender = `---
# Source: asm-ready/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: hellosvc
spec:
  selector:
    app: helloserver
  ports:
    - name: http
      port: 80
---
# Source: asm-ready/templates/disabled.yaml
---
# Source: asm-ready/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloserver
  namespace: shop
spec:
  selector:
    matchLabels:
      app: helloserver
  template:
    metadata:
      labels:
        app: helloserver
    spec:
      containers:
        - name: main
          image: ghcr.io/asm-ready/helloserver:0.1.0
          ports:
            - name: http
              containerPort: 8080
...
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: hello
spec:
  anything: [goes, here]
`

func TestParseHelmRender(t *testing.T) {
	objs, err := Parse(strings.NewReader(helmRender), "render.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ref, source string
		line        int
		typed       bool
	}
	want := []row{
		{"Service hellosvc", "asm-ready/templates/service.yaml", 3, true},
		{"Deployment shop/helloserver", "asm-ready/templates/deployment.yaml", 17, true},
		{"VirtualService hello", "", 39, false},
	}
	if len(objs) != len(want) {
		t.Fatalf("got %d objects, want %d", len(objs), len(want))
	}
	for i, w := range want {
		o := objs[i]
		if o.Ref() != w.ref || o.Source != w.source || o.Line != w.line || (o.Typed != nil) != w.typed || o.File != "render.yaml" {
			t.Errorf("object %d = %s source %q line %d typed %v; want %+v", i, o.Ref(), o.Source, o.Line, o.Typed != nil, w)
		}
	}
	d := objs[1].Typed.(*appsv1.Deployment)
	if got := d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort; got != 8080 {
		t.Errorf("containerPort = %d", got)
	}
	if got := objs[1].LineOf("spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"); got != 36 {
		t.Errorf("LineOf(containerPort) = %d, want 36", got)
	}
	if got := objs[0].LineOf("spec", "ports", 0, "nope"); got != 11 {
		t.Errorf("LineOf(missing field) = %d, want the port entry's line 11", got)
	}
}

func TestParseListsAndJSON(t *testing.T) {
	list := `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: a}
  - apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
`
	typedList := `apiVersion: apps/v1
kind: DeploymentList
items:
  - metadata: {name: d1}
    spec: {selector: {matchLabels: {app: x}}, template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: i}]}}}
`
	json := `{
  "apiVersion": "v1",
  "kind": "Service",
  "metadata": {"name": "j"},
  "spec": {"ports": [{"name": "http", "port": 80}]}
}`
	tests := []struct {
		name, in string
		refs     []string
		lines    []int
	}{
		{"kind List", list, []string{"Service a", "Namespace shop"}, []int{4, 7}},
		{"typed DeploymentList without item kinds", typedList, []string{"Deployment d1"}, []int{4}},
		{"JSON", json, []string{"Service j"}, []int{1}},
		{"empty input", "", nil, nil},
		{"kustomization is not an object", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n", nil, nil},
		{"only comments and separators", "# nothing\n---\n---\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Parse(strings.NewReader(tt.in), "x")
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			var lines []int
			for _, o := range objs {
				if o.Typed == nil {
					t.Errorf("%s not decoded into a k8s.io/api type", o.Ref())
				}
				refs = append(refs, o.Ref())
				lines = append(lines, o.Line)
			}
			if strings.Join(refs, ",") != strings.Join(tt.refs, ",") || len(lines) != len(tt.lines) {
				t.Fatalf("refs %v lines %v, want %v %v", refs, lines, tt.refs, tt.lines)
			}
			for i := range lines {
				if lines[i] != tt.lines[i] {
					t.Errorf("lines %v, want %v", lines, tt.lines)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		contains string
	}{
		{"syntax", "apiVersion: v1\nkind: [\n", 2, "YAML syntax error"},
		{"syntax in a later document", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\na: b: c\n", 5, "YAML syntax error"},
		{"no apiVersion", "kind: Service\nmetadata: {name: a}\n", 1, "missing apiVersion"},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n", 1, "missing kind"},
		{"no name", "apiVersion: v1\nkind: Service\nmetadata:\n  labels: {a: b}\n", 3, "no metadata.name"},
		{"no metadata", "apiVersion: v1\nkind: Service\n", 1, "no metadata.name"},
		{"ports as a string", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports: \"http\"\n", 5, "field spec.ports: got a string, want a list"},
		{"port as a word", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports:\n    - name: http\n      port: eighty\n", 7, "want an integer"},
		{"unknown field", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  selecter: {a: b}\n", 5, `unknown field "spec.selecter"`},
		{"wrong version", "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: a}\n", 1, "use apps/v1"},
		{"bad apiVersion", "apiVersion: a/b/c\nkind: Thing\nmetadata: {name: a}\n", 1, "not group/version"},
		{"labels with a list", "apiVersion: x.io/v1\nkind: Thing\nmetadata:\n  name: a\n  labels: [a]\n", 5, "metadata.labels"},
		{"scalar document", "hello\n", 1, "document is a scalar"},
		{"non-string key", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n1: 2\n", 1, "string keys"},
		{"List items not a list", "apiVersion: v1\nkind: List\nitems: {a: b}\n", 3, "items must be a list"},
		{"List item without kind", "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    metadata: {name: a}\n", 4, "List item 0: missing kind"},
		{"duplicate key", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n", 5, "already defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in), "in.yaml")
			var ie InputErrors
			if !errors.As(err, &ie) || len(ie) == 0 {
				t.Fatalf("got %v, want InputErrors", err)
			}
			if ie[0].File != "in.yaml" || ie[0].Line != tt.line || !strings.Contains(ie[0].Msg, tt.contains) {
				t.Errorf("got %q (line %d), want line %d containing %q", ie[0].Error(), ie[0].Line, tt.line, tt.contains)
			}
		})
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ns := func(n string) string { return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + n + "\n" }
	write("a.yaml", ns("a"))
	write("sub/b.yml", ns("b"))
	write("sub/deeper/c.json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"c"}}`)
	write("sub/notes.txt", "not a manifest")
	write(".github/workflows/ci.yaml", "on: push\n")
	write("sub/.hidden.yaml", "not: k8s\n")

	objs, err := Load([]string{dir, "-"}, strings.NewReader(ns("stdin")))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Name+"@"+filepath.Base(o.File))
	}
	want := "a@a.yaml,b@b.yml,c@c.json,stdin@" + StdinName
	if strings.Join(got, ",") != want {
		t.Errorf("loaded %v, want %s", got, want)
	}

	if _, err := Load([]string{filepath.Join(dir, "missing.yaml")}, nil); err == nil || errors.As(err, new(InputErrors)) {
		t.Errorf("missing file: got %v, want an I/O error", err)
	}
	// Errors from several files are all reported, objects still returned.
	write("bad1.yaml", "kind: X\n")
	write("bad2.yaml", "apiVersion: v1\n")
	objs, err = Load([]string{filepath.Join(dir, "bad1.yaml"), filepath.Join(dir, "a.yaml"), filepath.Join(dir, "bad2.yaml")}, nil)
	var ie InputErrors
	if !errors.As(err, &ie) || len(ie) != 2 || len(objs) != 1 {
		t.Errorf("got %d objects, err %v; want 1 object and 2 input errors", len(objs), err)
	}
}

func TestParseTooLarge(t *testing.T) {
	defer func(old int) { MaxInputBytes = old }(MaxInputBytes)
	MaxInputBytes = 1 << 10
	r := strings.NewReader(strings.Repeat("#", MaxInputBytes+1))
	_, err := Parse(r, "big")
	var ie InputErrors
	if !errors.As(err, &ie) || !strings.Contains(ie[0].Msg, "larger than") {
		t.Errorf("got %v, want a size error", err)
	}
}

func TestDecodeIsCaseSensitive(t *testing.T) {
	// encoding/json would accept "Ports" for "ports"; Kubernetes does not.
	_, err := Parse(strings.NewReader("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  Ports: []\n"), "x")
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.Ports"`) {
		t.Errorf("got %v, want unknown field spec.Ports", err)
	}
	objs, err := Parse(strings.NewReader("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports: [{port: 80, targetPort: http}]\n"), "x")
	if err != nil {
		t.Fatal(err)
	}
	if tp := objs[0].Typed.(*corev1.Service).Spec.Ports[0].TargetPort.StrVal; tp != "http" {
		t.Errorf("targetPort = %q", tp)
	}
}

func TestParseManyDocsKeepsOrder(t *testing.T) {
	// Enough documents to take the parallel path; order, lines and errors
	// must come back exactly as in the input.
	var b strings.Builder
	var wantNames []string
	var wantLines, wantErrLines []int
	line := 1
	for i := range 500 {
		if i%100 == 7 {
			b.WriteString("---\nkind: Broken\n")
			wantErrLines = append(wantErrLines, line+1)
			line += 2
			continue
		}
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns%d\n", i)
		wantNames = append(wantNames, fmt.Sprintf("ns%d", i))
		wantLines = append(wantLines, line+1)
		line += 5
	}
	objs, err := Parse(strings.NewReader(b.String()), "many.yaml")
	var ie InputErrors
	if !errors.As(err, &ie) || len(ie) != len(wantErrLines) {
		t.Fatalf("got %v, want %d input errors", err, len(wantErrLines))
	}
	for k, e := range ie {
		if e.Line != wantErrLines[k] {
			t.Errorf("error %d at line %d, want %d", k, e.Line, wantErrLines[k])
		}
	}
	if len(objs) != len(wantNames) {
		t.Fatalf("%d objects, want %d", len(objs), len(wantNames))
	}
	for j, o := range objs {
		if o.Name != wantNames[j] || o.Line != wantLines[j] {
			t.Fatalf("object %d = %s at line %d, want %s at %d", j, o.Name, o.Line, wantNames[j], wantLines[j])
		}
	}
}
