package crds

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object}}
`
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{name: "one", in: crd, want: 1},
		{name: "two with separators and comments", in: "# header\n---\n" + crd + "---\n# only a comment\n---\n" + crd, want: 2},
		{name: "empty", in: "", want: 0},
		{name: "other kind", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", wantErr: `kind "ConfigMap"`},
		{name: "old apiVersion", in: strings.Replace(crd, "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", 1), wantErr: `apiVersion "apiextensions.k8s.io/v1beta1"`},
		{name: "unknown field", in: strings.Replace(crd, "  scope:", "  scop: x\n  scope:", 1), wantErr: "scop"},
		{name: "no name", in: strings.Replace(crd, "name: widgets.example.com", "labels: {}", 1), wantErr: "without metadata.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got) != tt.want {
				t.Fatalf("Parse returned %d CRDs, want %d", len(got), tt.want)
			}
		})
	}
}

// TestLoadPinned reads the real pinned files from the module cache, so a
// moved or renamed file in a bumped version fails here, not in the e2e run.
func TestLoadPinned(t *testing.T) {
	got, err := Load(Pinned, ModuleDir)
	if err != nil {
		t.Fatalf("Load(Pinned): %v", err)
	}
	names := map[string]bool{}
	for _, c := range got {
		names[c.Name] = true
	}
	for _, want := range []string{
		"virtualservices.networking.istio.io",
		"destinationrules.networking.istio.io",
		"peerauthentications.security.istio.io",
		"authorizationpolicies.security.istio.io",
		"applications.argoproj.io",
		"gitrepositories.source.toolkit.fluxcd.io",
		"kustomizations.kustomize.toolkit.fluxcd.io",
	} {
		if !names[want] {
			t.Errorf("CRD %s not loaded from the pinned modules", want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	fixed := func(string, string) (string, error) { return dir, nil }
	_, err := Load([]Source{{Module: "example.com/m", Version: "v1.0.0", Files: []string{"missing.yaml"}}}, fixed)
	if err == nil || !strings.Contains(err.Error(), "example.com/m@v1.0.0") {
		t.Fatalf("Load of a missing file: error = %v, want one naming the module", err)
	}
	// GOPROXY=off keeps this offline: an uncached module fails at once.
	t.Setenv("GOPROXY", "off")
	_, err = ModuleDir("example.invalid/no-such-module", "v0.0.1")
	if err == nil || !strings.Contains(err.Error(), "example.invalid/no-such-module@v0.0.1") {
		t.Fatalf("ModuleDir of a bad module: error = %v, want one naming it", err)
	}
}
