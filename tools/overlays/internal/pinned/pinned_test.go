package pinned

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSkaffoldEnv(t *testing.T) {
	t.Setenv("SKAFFOLD_DEFAULT_REPO", "example.com/leak")
	t.Setenv("KUBECONFIG", "/home/someone/.kube/config")
	home := t.TempDir()
	env, err := SkaffoldEnv(home)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(home, ".skaffold", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg), "collect-metrics: false") {
		t.Errorf("skaffold config does not turn metrics off:\n%s", cfg)
	}
	seen := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := seen[k]; dup {
			t.Errorf("%s set twice", k)
		}
		seen[k] = v
	}
	if seen["HOME"] != home {
		t.Errorf("HOME = %q, want the private %q", seen["HOME"], home)
	}
	if _, ok := seen["SKAFFOLD_DEFAULT_REPO"]; ok {
		t.Error("the caller's SKAFFOLD_ variables leak into skaffold")
	}
	if strings.HasPrefix(seen["KUBECONFIG"], "/home/someone") {
		t.Error("the caller's KUBECONFIG leaks into skaffold")
	}
	for _, k := range goEnvVars[:3] {
		if v := seen[k]; v == "" || strings.HasPrefix(v, home) {
			t.Errorf("%s = %q, want the caller's (outside the private HOME)", k, v)
		}
	}
}

func TestToolPath(t *testing.T) {
	if got, want := Skaffold.Path("/c"), filepath.Join("/c", "bin", "skaffold-v2.16.1"); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
}
