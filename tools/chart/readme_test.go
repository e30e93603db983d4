package chart_test

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/asm-ready/asm-ready/tools/internal/render"
)

// TestReadme keeps the chart README's commands and example true: the images
// it builds for kind are exactly those the default render pulls, each from
// its own Dockerfile, and the error it shows is the chart's.
func TestReadme(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)

	res := renderValues(t, ``)
	var pulled []string
	for _, d := range decode(t, res.Manifest).deployments() {
		pulled = append(pulled, d.Spec.Template.Spec.Containers[0].Image)
	}
	pulled = append(pulled, testPod(t, res).Spec.Containers[0].Image)
	slices.Sort(pulled)
	pulled = slices.Compact(pulled)

	var built []string
	for _, m := range regexp.MustCompile(`docker build -t (\S+) services/(\S+)`).FindAllStringSubmatch(readme, -1) {
		built = append(built, m[1])
		if repo := path.Base(strings.SplitN(m[1], ":", 2)[0]); repo != m[2] {
			t.Errorf("README builds %s from services/%s, want services/%s", m[1], m[2], repo)
		}
	}
	slices.Sort(built)
	if !slices.Equal(built, pulled) {
		t.Errorf("README builds %v, the chart pulls %v", built, pulled)
	}
	if load := "kind load docker-image " + strings.Join(pulled, " "); !strings.Contains(readme, load) {
		t.Errorf("README lacks %q", load)
	}

	_, err = render.Render(theChart(t), vals(t, `{helloserver: {terminationGracePeriodSeconds: 2}}`), render.Options{Namespace: namespace})
	if err == nil || !strings.Contains(readme, "Error: "+err.Error()) {
		t.Errorf("README's example error is not the chart's:\n%v", err)
	}
}
