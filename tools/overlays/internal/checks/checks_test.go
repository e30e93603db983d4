package checks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

func TestBareImage(t *testing.T) {
	tests := map[string]string{
		"REGION-docker.pkg.dev/PROJECT_ID/asm-ready/helloserver:0.1.0": "helloserver",
		"helloserver:abc123": "helloserver",
		"helloserver":        "helloserver",
		"ghcr.io/asm-ready/loadgen:0.1.0@sha256:0123456789abcdef": "loadgen",
		"localhost:5000/loadgen":                                  "loadgen",
	}
	for in, want := range tests {
		if got := BareImage(in); got != want {
			t.Errorf("BareImage(%q) = %q, want %q", in, got, want)
		}
	}
}

const streamA = `apiVersion: v1
kind: Service
metadata: {name: hellosvc, namespace: asm-ready}
spec: {type: ClusterIP}
---
# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloserver
  namespace: asm-ready
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: main
        image: REGION-docker.pkg.dev/PROJECT_ID/asm-ready/helloserver:0.1.0
`

func TestCanonical(t *testing.T) {
	// Same objects, other order, other key order, skaffold's image.
	reordered := `apiVersion: apps/v1
kind: Deployment
metadata:
  namespace: asm-ready
  name: helloserver
spec:
  template:
    spec:
      containers:
      - image: helloserver:abc1234
        name: main
  replicas: 1
---
apiVersion: v1
kind: Service
metadata: {name: hellosvc, namespace: asm-ready}
spec: {type: ClusterIP}
`
	tests := []struct {
		name  string
		other string
		equal bool
	}{
		{"reordered with another image", reordered, true},
		{"replicas differ", strings.Replace(reordered, "replicas: 1", "replicas: 2", 1), false},
		{"object missing", reordered[:strings.Index(reordered, "---")], false},
		{"container renamed", strings.Replace(reordered, "name: main", "name: app", 1), false},
	}
	a, err := Canonical([]byte(streamA))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Canonical([]byte(tt.other))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(a, b); (d == "") != tt.equal {
				t.Errorf("canonical forms differ by %s, want equal=%v", d, tt.equal)
			}
		})
	}
	if _, err := Canonical([]byte("kind: [\n")); err == nil {
		t.Error("Canonical accepted broken YAML")
	}
}

func TestMeshFindings(t *testing.T) {
	ok := `apiVersion: v1
kind: Service
metadata: {name: hellosvc}
spec:
  selector: {app: helloserver}
  ports: [{name: http, port: 80, targetPort: http, appProtocol: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: helloserver}
spec:
  selector: {matchLabels: {app: helloserver}}
  template:
    metadata: {labels: {app: helloserver, app.kubernetes.io/name: helloserver, version: v1}}
    spec:
      containers:
      - name: main
        image: helloserver
        ports: [{name: http, containerPort: 8080}]
`
	if _, err := MeshFindings("ok.yaml", []byte(ok), meshcheck.MeshOff); err != nil {
		t.Errorf("clean manifests: %v", err)
	}
	bad := strings.Replace(ok, "containerPort: 8080", "containerPort: 15001", 1)
	bad = strings.Replace(bad, "{name: http, port: 80, targetPort: http, appProtocol: http}", "{port: 80, targetPort: 15001}", 1)
	_, err := MeshFindings("bad.yaml", []byte(bad), meshcheck.MeshOff)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("MeshFindings(reserved port, unnamed port) error = %v, want findings naming the file", err)
	}
}
