package meshcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// reportCPU adds cpu-ms/op (user + system time of the whole process, all
// goroutines) to a benchmark.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// manifest10k renders 100 Namespaces and 4,950 Deployment+Service pairs
// spread over them: 10,000 objects, shaped like the tutorial's.
func manifest10k() []byte {
	var b bytes.Buffer
	const namespaces, pairs = 100, 4950
	for n := 0; n < namespaces; n++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns%d\n  labels:\n    istio.io/rev: asm-managed\n", n)
	}
	for i := 0; i < pairs; i++ {
		ns := i % namespaces
		fmt.Fprintf(&b, `---
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
      app.kubernetes.io/instance: bench
  template:
    metadata:
      labels:
        app: app%[1]d
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
    app.kubernetes.io/name: app%[1]d
    app.kubernetes.io/instance: bench
  ports:
    - name: http
      port: 80
      targetPort: http
`, i, ns)
	}
	return b.Bytes()
}

func parse10k(b *testing.B, data []byte) []*Object {
	objs, err := Parse(bytes.NewReader(data), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if len(objs) != 10000 {
		b.Fatalf("%d objects, want 10000", len(objs))
	}
	return objs
}

// BenchmarkCheck10k is parse + check of 10,000 objects, the end-to-end cost
// of a run; the sub-benchmarks split it, and measure the general path and
// the YAML library's bare decode for comparison.
func BenchmarkCheck10k(b *testing.B) {
	data := manifest10k()
	b.Run("parse+check", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		start := cpuTime()
		for b.Loop() {
			r := Check(parse10k(b, data), Options{})
			if len(r.Findings) != 0 {
				b.Fatalf("benchmark manifest is not clean: %v", r.Findings[0])
			}
		}
		reportCPU(b, start)
	})
	// parse-general is the general path alone: yaml.v3 and the strict
	// decoder for every document, as for input outside the fast path's subset.
	for _, general := range []bool{false, true} {
		name := "parse"
		if general {
			name = "parse-general"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			generalOnly = general
			defer func() { generalOnly = false }()
			start := cpuTime()
			for b.Loop() {
				parse10k(b, data)
			}
			reportCPU(b, start)
		})
	}
	// The floor: the YAML library alone decoding the same stream into
	// nodes, one goroutine, nothing else.
	b.Run("yaml.v3-nodes", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		start := cpuTime()
		for b.Loop() {
			dec := yaml.NewDecoder(bytes.NewReader(data))
			docs := 0
			for {
				var n yaml.Node
				err := dec.Decode(&n)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				docs++
			}
			if docs != 10000 {
				b.Fatalf("%d documents, want 10000", docs)
			}
		}
		reportCPU(b, start)
	})
	b.Run("check", func(b *testing.B) {
		objs := parse10k(b, data)
		start := cpuTime()
		for b.Loop() {
			if r := Check(objs, Options{}); len(r.Findings) != 0 || !r.Mesh {
				b.Fatalf("findings %v mesh %v", r.Findings, r.Mesh)
			}
		}
		reportCPU(b, start)
	})
}
