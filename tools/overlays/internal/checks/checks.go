// Package checks holds the overlay checks shared by the tests and the
// validate command: rendered-manifest drift, mesh readiness, and comparing
// two manifest streams while ignoring image references.
package checks

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/yaml"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

// Namespace is where every overlay deploys.
const Namespace = "asm-ready"

// KustomizationNamespace reads the `namespace:` an overlay's kustomization.yaml sets.
func KustomizationNamespace(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return "", err
	}
	var k types.Kustomization
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, "kustomization.yaml"), err)
	}
	return k.Namespace, nil
}

// Render runs the chart render command (tools/cmd/render, built as bin) for
// one values file and returns what it would write to rendered.yaml.
func Render(ctx context.Context, bin, root, values, namespace string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, "-chart", filepath.Join(root, "charts", "asm-ready"),
		"-values", values, "-namespace", namespace, "-out", "-")
	cmd.Dir = filepath.Join(root, "tools")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("render %s: %v: %s", values, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// RenderedDrift re-renders overlay's values.yaml and compares the result with
// rendered (normally overlay/rendered.yaml). The error tells the contributor
// what to run.
func RenderedDrift(ctx context.Context, bin, root, overlay, rendered string) error {
	ns, err := KustomizationNamespace(overlay)
	if err != nil {
		return err
	}
	want, err := Render(ctx, bin, root, filepath.Join(overlay, "values.yaml"), ns)
	if err != nil {
		return err
	}
	got, err := os.ReadFile(rendered)
	if err != nil {
		return fmt.Errorf("%s: %w: run make render", rendered, err)
	}
	if bytes.Equal(got, want) {
		return nil
	}
	line, gotLine, wantLine := firstDiff(got, want)
	return fmt.Errorf("%s is stale: line %d is %q, the chart renders %q: run make render and commit the result",
		rel(root, rendered), line, gotLine, wantLine)
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// firstDiff returns the first line number (1-based) where a and b differ.
func firstDiff(a, b []byte) (int, string, string) {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}

// MeshFindings runs meshcheck over a manifest stream and fails on any finding
// at warning level or above (meshcheck's own default for --fail-on).
func MeshFindings(name string, data []byte, mode meshcheck.MeshMode) (meshcheck.Report, error) {
	objs, err := meshcheck.Parse(bytes.NewReader(data), name)
	if err != nil {
		return meshcheck.Report{}, fmt.Errorf("meshcheck: %w", err)
	}
	rep := meshcheck.Check(objs, meshcheck.Options{Mesh: mode, Namespace: Namespace})
	if !rep.Fails(meshcheck.Warning) {
		return rep, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "meshcheck: %s is not mesh-ready:", name)
	for _, f := range rep.Findings {
		if f.Severity >= meshcheck.Warning {
			fmt.Fprintf(&b, "\n  %s %s %s: %s (fix: %s)", f.Severity, f.Rule, f.Object(), f.Message, f.Fix)
		}
	}
	return rep, fmt.Errorf("%s", b.String())
}

// Canonical returns a manifest stream in a form where two builds of the same
// objects compare equal: objects sorted by kind, namespace and name, keys
// sorted, comments dropped, and every `image:` reduced to the image's bare
// name (no registry, path, tag or digest), because skaffold substitutes the
// images it builds.
func Canonical(data []byte) (string, error) {
	nodes, err := kio.FromBytes(data)
	if err != nil {
		return "", err
	}
	type doc struct{ key, text string }
	docs := make([]doc, 0, len(nodes))
	for _, n := range nodes {
		m, err := n.Map()
		if err != nil {
			return "", err
		}
		bareImages(m)
		out, err := yaml.Marshal(m)
		if err != nil {
			return "", err
		}
		docs = append(docs, doc{n.GetApiVersion() + "/" + n.GetKind() + "/" + n.GetNamespace() + "/" + n.GetName(), string(out)})
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].key < docs[j].key })
	var b strings.Builder
	for _, d := range docs {
		b.WriteString("---\n")
		b.WriteString(d.text)
	}
	return b.String(), nil
}

func bareImages(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && k == "image" {
				t[k] = BareImage(s)
				continue
			}
			bareImages(x)
		}
	case []any:
		for _, x := range t {
			bareImages(x)
		}
	}
}

// BareImage reduces an image reference to its last path element without tag
// or digest: REGION-docker.pkg.dev/PROJECT_ID/asm-ready/helloserver:0.1.0 and
// helloserver:abc123@sha256:... both become helloserver.
func BareImage(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	if i := strings.Index(ref, ":"); i >= 0 {
		ref = ref[:i]
	}
	return ref
}

// Diff reports where two canonical streams first differ, or "" when equal.
func Diff(a, b string) string {
	if a == b {
		return ""
	}
	line, x, y := firstDiff([]byte(a), []byte(b))
	return fmt.Sprintf("line %d: %q != %q", line, x, y)
}
