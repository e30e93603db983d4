// Package pinned builds the repository's pinned tool binaries (skaffold,
// kustomize) from their Go modules into the cache directory, once, and gives
// skaffold the only environment it may run in here: a private HOME and
// metrics collection off.
package pinned

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Tool is a Go command pinned by a module in this repository.
type Tool struct {
	Name    string // file name prefix in <cache>/bin
	Version string // must equal the version the module's go.mod selects
	Module  string // module directory, relative to the repository root
	Package string // package path of the main package
	ModPath string // module path whose selected version is Version
}

// Skaffold is built from tools/skaffold, a wrapper module carrying the
// replace directives skaffold's own go.mod needs.
var Skaffold = Tool{
	Name:    "skaffold",
	Version: "v2.16.1",
	Module:  "tools/skaffold",
	Package: "github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold",
	ModPath: "github.com/GoogleContainerTools/skaffold/v2",
}

// Kustomize stands in for `kubectl kustomize` (kubectl embeds the same CLI).
var Kustomize = Tool{
	Name:    "kustomize",
	Version: "v5.8.2",
	Module:  "tools",
	Package: "sigs.k8s.io/kustomize/kustomize/v5",
	ModPath: "sigs.k8s.io/kustomize/kustomize/v5",
}

// Path is where the binary lives in the cache directory.
func (t Tool) Path(cache string) string {
	return filepath.Join(cache, "bin", t.Name+"-"+t.Version)
}

// Ensure returns the binary's path, building it first when it is missing.
// A cold skaffold build takes minutes; `make tools` does it ahead of the tests.
func (t Tool) Ensure(ctx context.Context, root, cache string) (string, error) {
	bin := t.Path(cache)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	// Build to a unique name and rename, so concurrent test binaries never
	// see a half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(bin), t.Name+".build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", tmp.Name(), t.Package)
	cmd.Dir = filepath.Join(root, t.Module)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s %s in %s: %v\n%s", t.Name, t.Version, t.Module, err, out)
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// SelectedVersion reports the version of t.ModPath that t.Module's go.mod selects.
func (t Tool) SelectedVersion(ctx context.Context, root string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}}", t.ModPath)
	cmd.Dir = filepath.Join(root, t.Module)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s in %s: %v: %s", t.ModPath, t.Module, err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// skaffoldGlobalConfig turns off everything in skaffold that calls home:
// metrics, the update check and the survey prompt.
const skaffoldGlobalConfig = `global:
  collect-metrics: false
  update-check: false
  survey:
    disable-prompt: true
`

// goEnvVars keep the go command that skaffold's render hook runs (make
// render) on the caller's module and build caches: they default to paths
// under HOME, which skaffold gets a private one of.
var goEnvVars = []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOENV"}

// SkaffoldEnv prepares home as a private HOME for skaffold (its global config
// with metrics off) and returns the environment to run skaffold with.
func SkaffoldEnv(home string) ([]string, error) {
	goEnv, err := exec.Command("go", append([]string{"env"}, goEnvVars...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	cfg := filepath.Join(home, ".skaffold", "config")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfg, []byte(skaffoldGlobalConfig), 0o644); err != nil {
		return nil, err
	}
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		// A developer's own skaffold settings must not leak into the check.
		if k == "HOME" || k == "KUBECONFIG" || strings.HasPrefix(k, "SKAFFOLD_") || slices.Contains(goEnvVars, k) {
			continue
		}
		env = append(env, kv)
	}
	for i, v := range strings.Split(strings.TrimRight(string(goEnv), "\n"), "\n") {
		if i < len(goEnvVars) {
			env = append(env, goEnvVars[i]+"="+v)
		}
	}
	return append(env,
		"HOME="+home,
		"KUBECONFIG="+filepath.Join(home, "kubeconfig-none"),
		"SKAFFOLD_UPDATE_CHECK=false",
		"SKAFFOLD_INTERACTIVE=false",
	), nil
}
