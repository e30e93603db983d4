package meshcheck_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

var benchInputs = flag.String("bench-inputs", "", "write the benchmark inputs into this directory, to time the CLI on them")

// usual renders n objects shaped like the tutorial's: a Namespace for every
// hundred objects, the rest Deployment + Service pairs.
func usual(n int) []byte {
	var b bytes.Buffer
	namespaces := max(1, n/100)
	for i := range namespaces {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns%d\n  labels:\n    istio.io/rev: asm-managed\n", i)
	}
	for i := range (n - namespaces) / 2 {
		writePair(&b, i, i%namespaces, fmt.Sprintf("app%d", i))
	}
	return b.Bytes()
}

// manySelecting renders n Deployments and n Services that all select the
// same pods (group: shared), each Deployment with labels of its own.
func manySelecting(n int) []byte {
	var b bytes.Buffer
	b.WriteString("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns0\n  labels:\n    istio.io/rev: asm-managed\n")
	for i := range n {
		writePair(&b, i, 0, "shared")
	}
	return b.Bytes()
}

func writePair(b *bytes.Buffer, i, ns int, selects string) {
	fmt.Fprintf(b, `---
# Source: bench/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app%[1]d
  namespace: ns%[2]d
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: app%[1]d
  template:
    metadata:
      labels:
        app: app%[1]d
        group: %[3]s
        version: v1
        app.kubernetes.io/name: app%[1]d
        app.kubernetes.io/instance: bench
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
      containers:
        - name: main
          image: ghcr.io/asm-ready/helloserver:0.1.0
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
          resources:
            requests:
              cpu: 50m
              memory: 32Mi
---
# Source: bench/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: app%[1]d
  namespace: ns%[2]d
spec:
  selector:
    group: %[3]s
    app.kubernetes.io/instance: bench
  ports:
    - name: http
      port: 80
      targetPort: http
`, i, ns, selects)
}

// BenchmarkLoadCheck is a whole run without the process: parse and check
// of 100, 1,000 and 10,000 objects of the usual shape, and of 1,200
// Services and 1,200 Deployments that all select the same pods. Time and
// memory per object should stay flat from one size to the next.
func BenchmarkLoadCheck(b *testing.B) {
	for _, shape := range []struct {
		name string
		data []byte
	}{
		{"objects=100", usual(100)},
		{"objects=1000", usual(1000)},
		{"objects=10000", usual(10000)},
		{"many-services=1200", manySelecting(1200)},
	} {
		if *benchInputs != "" {
			if err := os.MkdirAll(*benchInputs, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(*benchInputs, shape.name+".yaml"), shape.data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(shape.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(shape.data)))
			var objects int
			for b.Loop() {
				objs, err := meshcheck.Parse(bytes.NewReader(shape.data), "bench.yaml")
				if err != nil {
					b.Fatal(err)
				}
				r := meshcheck.Check(objs, meshcheck.Options{})
				if len(r.Findings) != 0 {
					b.Fatalf("the benchmark input is not clean: %+v", r.Findings[0])
				}
				objects = r.Objects
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(objects), "µs/object")
		})
	}
}
