package overlays

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/internal/kbuild"
	"github.com/asm-ready/asm-ready/tools/meshcheck"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/checks"
)

// copyOverlays copies overlays/ into a temporary directory, so a test can
// break a copy without touching the repository.
func copyOverlays(t *testing.T) string {
	t.Helper()
	src := filepath.Join(root(t), "overlays")
	dst := filepath.Join(t.TempDir(), "overlays")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func appendFile(t *testing.T, p, text string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// TestChecksCatchBrokenOverlays breaks a copy of an overlay in one way per
// case and proves the check meant to catch it does, with a message that
// names the problem.
func TestChecksCatchBrokenOverlays(t *testing.T) {
	tests := []struct {
		name    string
		overlay string
		// patch is appended to the copy's kustomization.yaml.
		patch string
		// check runs the check under test over the broken copy.
		check   func(t *testing.T, dir string) error
		wantErr []string
	}{
		{
			name:    "kustomize: missing resource",
			overlay: "local",
			patch:   "resources:\n  - missing.yaml\n",
			check: func(t *testing.T, dir string) error {
				_, err := kbuild.Build(dir)
				return err
			},
			wantErr: []string{"kustomize build", "resources"},
		},
		{
			name:    "kubeconform: replicas as a string",
			overlay: "gke",
			patch: `patches:
  - target: {kind: Deployment, name: loadgenerator}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: two
`,
			check:   kubeconformCheck,
			wantErr: []string{"Deployment/loadgenerator", "/spec/replicas", "want null or integer"},
		},
		{
			name:    "kubeconform: misspelt field in a custom resource",
			overlay: "gke",
			patch: `patches:
  - target: {kind: PeerAuthentication}
    patch: |-
      - op: add
        path: /spec/mtlsMode
        value: STRICT
`,
			check:   kubeconformCheck,
			wantErr: []string{"PeerAuthentication/asm-ready", "mtlsMode"},
		},
		{
			name:    "meshcheck: unnamed Service port without appProtocol",
			overlay: "gke",
			patch: `patches:
  - target: {kind: Service, name: hellosvc}
    patch: |-
      - op: remove
        path: /spec/ports/0/name
      - op: remove
        path: /spec/ports/0/appProtocol
`,
			check:   meshCheck,
			wantErr: []string{"not mesh-ready", "hellosvc"},
		},
		{
			name:    "meshcheck: namespace with both injection labels",
			overlay: "gke",
			patch: `patches:
  - target: {kind: Namespace}
    patch: |-
      - op: add
        path: /metadata/labels/istio-injection
        value: enabled
`,
			check:   meshCheck,
			wantErr: []string{"not mesh-ready", "Namespace asm-ready", "istio-injection"},
		},
		{
			name:    "render: stale rendered.yaml",
			overlay: "local",
			check: func(t *testing.T, dir string) error {
				stale := filepath.Join(dir, "rendered.yaml")
				data, err := os.ReadFile(stale)
				if err != nil {
					t.Fatal(err)
				}
				data = []byte(strings.Replace(string(data), "replicas: 1", "replicas: 3", 1))
				if err := os.WriteFile(stale, data, 0o644); err != nil {
					t.Fatal(err)
				}
				// Render from the repository's (unchanged) values; compare with the edited copy.
				values := filepath.Join(root(t), "overlays", "local", "values.yaml")
				_, err = render(t, "-values", values, "-namespace", checks.Namespace, "-out", stale, "-check")
				return err
			},
			wantErr: []string{"stale rendered manifests", "local/rendered.yaml", "run `make render`"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(copyOverlays(t), tt.overlay)
			if tt.patch != "" {
				appendFile(t, filepath.Join(dir, "kustomization.yaml"), tt.patch)
			}
			err := tt.check(t, dir)
			if err == nil {
				t.Fatal("the check passed a broken overlay")
			}
			t.Logf("caught: %v", err)
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func kubeconformCheck(t *testing.T, dir string) error {
	data, err := kbuild.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := validator(t).Validate("overlay", data)
	if len(r.Problems) == 0 {
		return nil
	}
	return &problems{r.Problems}
}

func meshCheck(t *testing.T, dir string) error {
	data, err := kbuild.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = checks.MeshFindings("overlay", data, meshcheck.MeshOn)
	return err
}

type problems struct{ msgs []string }

func (p *problems) Error() string { return strings.Join(p.msgs, "\n") }
