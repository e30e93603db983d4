package overlays

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/asm-ready/asm-ready/tools/overlays/internal/schemagen"
)

// TestTestedKubernetesVersions: the chart's kubeVersion floor, the schemas
// kubeconform validates against and the kind e2e matrix name the same
// oldest and newest minors, and every kind node image is pinned by digest.
func TestTestedKubernetesVersions(t *testing.T) {
	var minors []string
	for _, v := range schemagen.KubernetesVersions {
		minors = append(minors, v[:strings.LastIndex(v, ".")])
	}

	data, err := os.ReadFile(filepath.Join(root(t), "charts", "asm-ready", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		KubeVersion string `json:"kubeVersion"`
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		t.Fatal(err)
	}
	if want := ">=" + minors[0] + ".0-0"; chart.KubeVersion != want {
		t.Errorf("Chart.yaml kubeVersion = %q, want %q (the oldest minor validated)", chart.KubeVersion, want)
	}

	data, err = os.ReadFile(filepath.Join(root(t), ".github", "workflows", "e2e.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs struct {
			Kind struct {
				Strategy struct {
					Matrix struct {
						Include []struct {
							Kubernetes string `json:"kubernetes"`
							NodeImage  string `json:"node_image"`
							Kubectl    string `json:"kubectl"`
						} `json:"include"`
					} `json:"matrix"`
				} `json:"strategy"`
			} `json:"kind"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	var e2e []string
	for _, row := range wf.Jobs.Kind.Strategy.Matrix.Include {
		e2e = append(e2e, row.Kubernetes)
		pinned := regexp.MustCompile(`^kindest/node:v` + regexp.QuoteMeta(row.Kubernetes) + `\.\d+@sha256:[0-9a-f]{64}$`)
		if !pinned.MatchString(row.NodeImage) {
			t.Errorf("e2e.yaml kind %s: node image %q is not a %s.x image pinned by digest", row.Kubernetes, row.NodeImage, row.Kubernetes)
		}
		if !strings.HasPrefix(row.Kubectl, "v"+row.Kubernetes+".") {
			t.Errorf("e2e.yaml kind %s: kubectl %s is another minor", row.Kubernetes, row.Kubectl)
		}
	}
	if !slices.Equal(e2e, minors) {
		t.Errorf("e2e.yaml runs kind on %v, kubeconform validates %v", e2e, minors)
	}
}
