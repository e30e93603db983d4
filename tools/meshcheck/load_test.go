package meshcheck_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
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
	objs, err := meshcheck.Parse(strings.NewReader(helmRender), "render.yaml")
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
		if o.Ref() != w.ref || o.Source != w.source || o.LineOf() != w.line || (o.Typed != nil) != w.typed || o.File != "render.yaml" {
			t.Errorf("object %d = %s source %q line %d typed %v; want %+v", i, o.Ref(), o.Source, o.LineOf(), o.Typed != nil, w)
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

func utf16LE(s string) string {
	var b strings.Builder
	b.WriteString("\xff\xfe")
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.String()
}

// TestParseReadsWhatKubectlReads: every input `kubectl apply -f` accepts
// is read, with the same values and each object's first line.
func TestParseReadsWhatKubectlReads(t *testing.T) {
	ns := func(name string) string { return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n" }
	svc := func(port string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{name: http, port: " + port + "}]\n"
	}
	tests := []struct {
		name, in string
		refs     []string
		lines    []int
		check    func(t *testing.T, objs []*meshcheck.Object)
	}{
		{"byte order mark", "\ufeff" + ns("a"), []string{"Namespace a"}, []int{1}, nil},
		{"byte order mark starting a later document", ns("a") + "---\n\ufeff" + ns("b"), []string{"Namespace a", "Namespace b"}, []int{1, 6}, nil},
		{"UTF-16 with its byte order mark", utf16LE(ns("a")), []string{"Namespace a"}, []int{1}, nil},
		{"CRLF line ends", strings.ReplaceAll(ns("a")+"---\n"+ns("b"), "\n", "\r\n"), []string{"Namespace a", "Namespace b"}, []int{1, 6}, nil},
		{"newline-delimited JSON", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}` + "\n\n" + `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}` + "\n",
			[]string{"Namespace a", "Namespace b"}, []int{1, 3}, nil},
		{"JSON, then YAML", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}` + "\n---\n" + ns("b"), []string{"Namespace a", "Namespace b"}, []int{1, 3}, nil},
		{"a JSON List", `{"apiVersion": "v1", "kind": "List", "items": [` + "\n" + `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}},` + "\n" +
			`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}]}`, []string{"Namespace a", "Namespace b"}, []int{2, 3}, nil},
		{"kind: List", "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: a}\n  - " + strings.ReplaceAll(ns("b"), "\n", "\n    "),
			[]string{"Service a", "Namespace b"}, []int{4, 7}, nil},
		{"typed DeploymentList without item kinds", "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n  - metadata: {name: d1}\n    spec: {selector: {matchLabels: {app: x}}, template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: i}]}}}\n",
			[]string{"Deployment d1"}, []int{4}, nil},
		{"non-string map keys", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tcp-services}\ndata:\n  9000: \"ns/svc:8080\"\n", []string{"ConfigMap tcp-services"}, []int{1},
			func(t *testing.T, objs []*meshcheck.Object) {
				if got := objs[0].Typed.(*corev1.ConfigMap).Data["9000"]; got != "ns/svc:8080" {
					t.Errorf("data[9000] = %q", got)
				}
			}},
		{"YAML 1.1 octal", svc("0120"), []string{"Service s"}, []int{1},
			func(t *testing.T, objs []*meshcheck.Object) {
				if got := objs[0].Typed.(*corev1.Service).Spec.Ports[0].Port; got != 80 {
					t.Errorf("port 0120 = %d, want 80 (octal, as sigs.k8s.io/yaml reads it)", got)
				}
			}},
		{"YAML 1.1 hexadecimal and booleans", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 0x3\n  paused: yes\n  selector: {matchLabels: {app: x}}\n  template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"Deployment d"}, []int{1},
			func(t *testing.T, objs []*meshcheck.Object) {
				if d := objs[0].Typed.(*appsv1.Deployment); *d.Spec.Replicas != 3 || !d.Spec.Paused {
					t.Errorf("replicas %d paused %v, want 3 true", *d.Spec.Replicas, d.Spec.Paused)
				}
			}},
		{"a separator with a comment", ns("a") + "--- # next\n" + ns("b"), []string{"Namespace a", "Namespace b"}, []int{1, 6}, nil},
		{"document end marker", ns("a") + "...\n---\n" + ns("b"), []string{"Namespace a", "Namespace b"}, []int{1, 7}, nil},
		{"a Rollout's pod template", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  strategy: {canary: {steps: [{setWeight: 20}]}}\n  template:\n    metadata: {labels: {app: r}}\n    spec: {containers: [{name: c, image: i}]}\n",
			[]string{"Rollout r"}, []int{1},
			func(t *testing.T, objs []*meshcheck.Object) {
				if tpl, ok := objs[0].Typed.(*corev1.PodTemplateSpec); !ok || tpl.Labels["app"] != "r" {
					t.Errorf("Typed = %#v, want the pod template", objs[0].Typed)
				}
			}},
		{"empty input", "", nil, nil, nil},
		{"kustomization is not an object", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n", nil, nil, nil},
		{"only comments and separators", "# nothing\n---\n---\n", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := meshcheck.Parse(strings.NewReader(tt.in), "x")
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			var lines []int
			for _, o := range objs {
				refs = append(refs, o.Ref())
				lines = append(lines, o.LineOf())
			}
			if fmt.Sprint(refs, lines) != fmt.Sprint(tt.refs, tt.lines) {
				t.Fatalf("refs %v lines %v, want %v %v", refs, lines, tt.refs, tt.lines)
			}
			if tt.check != nil {
				tt.check(t, objs)
			}
		})
	}
}

// TestParseErrors: what kubectl or the API server refuses is an input
// error at the right line, naming the object and the field.
func TestParseErrors(t *testing.T) {
	svc := func(port string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n    - " + port + "\n"
	}
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
		{"port as a word", svc("{name: http, port: eighty}"), 6, "spec.ports.port: got a string, want an integer"},
		{"unknown field", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  selecter: {a: b}\n", 5, `unknown field "spec.selecter"`},
		{"duplicate field in JSON", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"type":"ClusterIP","type":"NodePort"}}`, 1, `duplicate field "spec.type"`},
		{"duplicate key in YAML", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n", 5, `duplicate field "name"`},
		{"wrong version", "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: a}\n", 1, "use apps/v1"},
		{"bad apiVersion", "apiVersion: a/b/c\nkind: Thing\nmetadata: {name: a}\n", 1, "not group/version"},
		{"labels with a list", "apiVersion: x.io/v1\nkind: Thing\nmetadata:\n  name: a\n  labels: [a]\n", 5, "metadata.labels"},
		{"a label read as a YAML 1.1 boolean", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    enabled: yes\n", 5, "field metadata.labels: got a boolean, want a string"},
		{"a scalar document", "hello\n", 1, "document is a string"},
		{"a top-level JSON array", `[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}]`, 1, "document is a list"},
		{"a complex key", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n? [x]\n: 2\n", 1, "invalid map key"},
		{"List items not a list", "apiVersion: v1\nkind: List\nitems: {a: b}\n", 3, "items must be a list"},
		{"List item without kind", "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    metadata: {name: a}\n", 4, "List item 0: missing kind"},
		{"text after a separator", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n--- {}\n", 4, "invalid Yaml document separator"},
		{"Service port protocol HTTP", svc("{name: http, port: 80, protocol: HTTP}"), 6, `Service web: spec.ports[0].protocol: Unsupported value: "HTTP"`},
		{"Service port out of range", svc("{name: http, port: 70000}"), 6, "Service web: spec.ports[0].port: Invalid value: 70000"},
		{"targetPort out of range", svc("{name: http, port: 80, targetPort: -1}"), 6, "spec.ports[0].targetPort: Invalid value: -1"},
		{"container port protocol", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: i\n      ports: [{containerPort: 8080, protocol: http}]\n", 8, `Pod p: spec.containers[0].ports[0].protocol: Unsupported value: "http"`},
		{"a Rollout template field misspelt", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n    spec: {containerz: []}\n", 6, `unknown field "spec.template.spec.containerz"`},
		{"JSON broken after two objects", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}` + "\n" + `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}` + "\n{\"a\": }\n", 3, "JSON syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := meshcheck.Parse(strings.NewReader(tt.in), "in.yaml")
			var ie meshcheck.InputErrors
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

	objs, err := meshcheck.Load([]string{dir, "-"}, strings.NewReader(ns("stdin")))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Name+"@"+filepath.Base(o.File))
	}
	want := "a@a.yaml,b@b.yml,c@c.json,stdin@" + meshcheck.StdinName
	if strings.Join(got, ",") != want {
		t.Errorf("loaded %v, want %s", got, want)
	}

	if _, err := meshcheck.Load([]string{filepath.Join(dir, "missing.yaml")}, nil); err == nil || errors.As(err, new(meshcheck.InputErrors)) {
		t.Errorf("missing file: got %v, want an I/O error", err)
	}
	// Errors from several files are all reported, objects still returned.
	write("bad1.yaml", "kind: X\n")
	write("bad2.yaml", "apiVersion: v1\n")
	objs, err = meshcheck.Load([]string{filepath.Join(dir, "bad1.yaml"), filepath.Join(dir, "a.yaml"), filepath.Join(dir, "bad2.yaml")}, nil)
	var ie meshcheck.InputErrors
	if !errors.As(err, &ie) || len(ie) != 2 || len(objs) != 1 {
		t.Errorf("got %d objects, err %v; want 1 object and 2 input errors", len(objs), err)
	}
}

func TestParseTooLarge(t *testing.T) {
	defer func(old int) { meshcheck.MaxInputBytes = old }(meshcheck.MaxInputBytes)
	meshcheck.MaxInputBytes = 1 << 10
	_, err := meshcheck.Parse(strings.NewReader(strings.Repeat("#", meshcheck.MaxInputBytes+1)), "big")
	var ie meshcheck.InputErrors
	if !errors.As(err, &ie) || !strings.Contains(ie[0].Msg, "larger than") {
		t.Errorf("got %v, want a size error", err)
	}
}

func TestDecodeIsCaseSensitive(t *testing.T) {
	// encoding/json would accept "Ports" for "ports"; Kubernetes does not.
	_, err := meshcheck.Parse(strings.NewReader("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  Ports: []\n"), "x")
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.Ports"`) {
		t.Errorf("got %v, want unknown field spec.Ports", err)
	}
}

// TestParseManyDocsKeepsOrder: order, lines and errors come back exactly
// as in the input.
func TestParseManyDocsKeepsOrder(t *testing.T) {
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
	objs, err := meshcheck.Parse(strings.NewReader(b.String()), "many.yaml")
	var ie meshcheck.InputErrors
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
		if o.Name != wantNames[j] || o.LineOf() != wantLines[j] {
			t.Fatalf("object %d = %s at line %d, want %s at %d", j, o.Name, o.LineOf(), wantNames[j], wantLines[j])
		}
	}
}
