package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/asm-ready/asm-ready/tools/internal/render"
)

// job is one values file rendered into one output.
type job struct {
	values, out, namespace string
}

func (j job) render(ch *chart.Chart, chartDir string) ([]byte, error) {
	vals, err := render.ReadValues(j.values)
	if err != nil {
		return nil, err
	}
	res, err := render.Render(ch, vals, render.Options{Namespace: j.namespace})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.values, err)
	}
	header := render.Header(repoPath(chartDir), repoPath(j.values))
	return render.File(header, res.Manifest), nil
}

// overlayJobs finds every <dir>/*/values.yaml. The namespace comes from the
// overlay's kustomization.yaml when it sets one: the AuthorizationPolicy
// names the namespace inside a principal, which kustomize cannot rewrite.
func overlayJobs(dir, defaultNamespace string) ([]job, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*", "values.yaml"))
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("no %s/*/values.yaml found: pass -overlays with the overlays directory", dir)
	}
	sort.Strings(matches)
	jobs := make([]job, 0, len(matches))
	for _, m := range matches {
		overlay := filepath.Dir(m)
		ns, err := kustomizeNamespace(overlay)
		if err != nil {
			return nil, err
		}
		if ns == "" {
			ns = defaultNamespace
		}
		jobs = append(jobs, job{values: m, out: filepath.Join(overlay, "rendered.yaml"), namespace: ns})
	}
	return jobs, nil
}

func kustomizeNamespace(overlay string) (string, error) {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		data, err := os.ReadFile(filepath.Join(overlay, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		var k struct {
			Namespace string `json:"namespace"`
		}
		if err := yaml.Unmarshal(data, &k); err != nil {
			return "", fmt.Errorf("%s: %w", filepath.Join(overlay, name), err)
		}
		return k.Namespace, nil
	}
	return "", nil
}

// repoPath names p relative to the repository root (the nearest parent with
// go.work or .git) for the generated-file header, so the header is the same
// whatever directory the command runs from.
func repoPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if exists(filepath.Join(dir, "go.work")) || exists(filepath.Join(dir, ".git")) {
			if rel, err := filepath.Rel(dir, abs); err == nil {
				return filepath.ToSlash(rel)
			}
			break
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	return filepath.ToSlash(p)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
