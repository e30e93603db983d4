// Package checks holds the overlay checks shared by the tests and the
// validate command: mesh readiness, and comparing two manifest streams
// while ignoring image references.
package checks

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/yaml"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
)

// Namespace is where every overlay deploys.
const Namespace = "asm-ready"

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
