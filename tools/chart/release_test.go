package chart_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestDefaultImagesAreReleased: the images the chart pulls by default are
// the ones the release workflow pushes, ghcr.io/<owner>/<image>:<version>,
// for the owner in Chart.yaml's home and the version the workflow checks
// equals the chart's appVersion.
func TestDefaultImagesAreReleased(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "..", "..", ".github", "workflows", "release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs struct {
			Images struct {
				Strategy struct {
					Matrix struct {
						Image []string `json:"image"`
					} `json:"matrix"`
				} `json:"strategy"`
				Steps []struct {
					ID   string            `json:"id"`
					With map[string]string `json:"with"`
				} `json:"steps"`
			} `json:"images"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	for _, s := range wf.Jobs.Images.Steps {
		if s.ID == "meta" {
			meta = s.With
		}
	}
	if got, want := meta["images"], "ghcr.io/${{ needs.verify.outputs.owner }}/${{ matrix.image }}"; got != want {
		t.Fatalf("release.yaml pushes %q, want %q", got, want)
	}
	if !strings.Contains(meta["tags"], "type=semver,pattern={{version}}") {
		t.Errorf("release.yaml tags %q lack the plain version the chart's appVersion names", meta["tags"])
	}

	ch := theChart(t)
	owner := strings.Split(strings.TrimPrefix(ch.Metadata.Home, "https://github.com/"), "/")[0]
	var pulled, pushed []string
	for _, d := range decode(t, renderValues(t, ``).Manifest).deployments() {
		pulled = append(pulled, d.Spec.Template.Spec.Containers[0].Image)
	}
	for _, image := range wf.Jobs.Images.Strategy.Matrix.Image {
		pushed = append(pushed, "ghcr.io/"+owner+"/"+image+":"+ch.Metadata.AppVersion)
	}
	slices.Sort(pulled)
	slices.Sort(pushed)
	if !slices.Equal(pulled, pushed) {
		t.Errorf("the chart pulls %v by default, release.yaml pushes %v", pulled, pushed)
	}
}
