package overlays

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/asm-ready/asm-ready/tools/internal/kbuild"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/checks"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/pinned"
)

// TestPinnedVersions keeps the binary names in the cache honest: the module
// that builds each tool must select exactly the version its name claims.
func TestPinnedVersions(t *testing.T) {
	for _, tool := range []pinned.Tool{pinned.Skaffold, pinned.Kustomize} {
		got, err := tool.SelectedVersion(ctx(t, 2*time.Minute), root(t))
		if err != nil {
			t.Fatal(err)
		}
		if got != tool.Version {
			t.Errorf("%s: %s selects %s, the cache name says %s", tool.Name, tool.Module, got, tool.Version)
		}
	}
}

func skaffoldRun(t *testing.T, args ...string) []byte {
	t.Helper()
	home := t.TempDir()
	env, err := pinned.SkaffoldEnv(home)
	if err != nil {
		t.Fatal(err)
	}
	bin := skaffoldBin(t) // built first: a cold build must not eat the run's time limit
	cmd := exec.CommandContext(ctx(t, 5*time.Minute), bin, args...)
	cmd.Dir = root(t)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// Skaffold prints hook output on stdout: show both.
		t.Fatalf("skaffold %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// TestSkaffoldSchemaIsCurrent: skaffold.yaml uses the newest schema the
// pinned skaffold knows, and skaffold accepts the file.
func TestSkaffoldSchemaIsCurrent(t *testing.T) {
	versions := strings.Fields(string(skaffoldRun(t, "schema", "list")))
	if len(versions) == 0 {
		t.Fatal("skaffold schema list printed nothing")
	}
	latest := versions[len(versions)-1]
	cfg := skaffoldConfig(t)
	if cfg.APIVersion != latest {
		t.Errorf("skaffold.yaml apiVersion = %s, the pinned skaffold's newest is %s", cfg.APIVersion, latest)
	}
	// diagnose parses and validates the config (every profile) without a cluster.
	for _, profile := range []string{"", "gke", "kind-istio"} {
		args := []string{"diagnose", "--yaml-only"}
		if profile != "" {
			args = append(args, "--profile", profile)
		}
		if out := skaffoldRun(t, args...); !bytes.Contains(out, []byte("apiVersion: "+latest)) {
			t.Errorf("skaffold %s printed no %s config:\n%s", strings.Join(args, " "), latest, out)
		}
	}
}

type skaffoldFile struct {
	APIVersion string `json:"apiVersion"`
	Build      struct {
		TagPolicy map[string]any `json:"tagPolicy"`
		Local     struct {
			Push        *bool `json:"push"`
			UseBuildkit *bool `json:"useBuildkit"`
		} `json:"local"`
		Artifacts []struct {
			Image   string `json:"image"`
			Context string `json:"context"`
			Docker  struct {
				Dockerfile string            `json:"dockerfile"`
				BuildArgs  map[string]string `json:"buildArgs"`
			} `json:"docker"`
		} `json:"artifacts"`
	} `json:"build"`
	Manifests struct {
		Hooks struct {
			Before []struct {
				Host struct {
					Command []string `json:"command"`
				} `json:"host"`
			} `json:"before"`
		} `json:"hooks"`
		Kustomize struct {
			Paths []string `json:"paths"`
		} `json:"kustomize"`
	} `json:"manifests"`
	PortForward []struct {
		ResourceType string `json:"resourceType"`
		ResourceName string `json:"resourceName"`
		Namespace    string `json:"namespace"`
		Port         int    `json:"port"`
		LocalPort    int    `json:"localPort"`
	} `json:"portForward"`
	Profiles []struct {
		Name  string `json:"name"`
		Build struct {
			Platforms []string `json:"platforms"`
			Local     struct {
				Push *bool `json:"push"`
			} `json:"local"`
		} `json:"build"`
		Manifests struct {
			Kustomize struct {
				Paths []string `json:"paths"`
			} `json:"kustomize"`
		} `json:"manifests"`
	} `json:"profiles"`
}

func skaffoldConfig(t *testing.T) skaffoldFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root(t), "skaffold.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg skaffoldFile
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSkaffoldConfig asserts what the dev loop promises: the two artifacts
// from their own directories, no push on kind, the render hook, the
// port-forward, and a gke profile that pushes multi-arch images.
func TestSkaffoldConfig(t *testing.T) {
	cfg := skaffoldConfig(t)
	if _, ok := cfg.Build.TagPolicy["gitCommit"]; !ok {
		t.Errorf("tagPolicy = %v, want gitCommit", cfg.Build.TagPolicy)
	}
	if p := cfg.Build.Local.Push; p == nil || *p {
		t.Error("build.local.push must be false: kind gets images loaded, not pushed")
	}
	var images []string
	for _, a := range cfg.Build.Artifacts {
		images = append(images, a.Image)
		dockerfile := filepath.Join(root(t), a.Context, a.Docker.Dockerfile)
		data, err := os.ReadFile(dockerfile)
		if err != nil {
			t.Errorf("artifact %s: %v", a.Image, err)
			continue
		}
		// skaffold debug passes SKAFFOLD_GO_GCFLAGS only to a Dockerfile that
		// declares it; a buildArgs entry would override debug's value.
		if !bytes.Contains(data, []byte("ARG SKAFFOLD_GO_GCFLAGS")) {
			t.Errorf("%s does not declare ARG SKAFFOLD_GO_GCFLAGS (skaffold debug)", dockerfile)
		}
		if _, ok := a.Docker.BuildArgs["SKAFFOLD_GO_GCFLAGS"]; ok {
			t.Errorf("artifact %s sets SKAFFOLD_GO_GCFLAGS, overriding skaffold debug's", a.Image)
		}
		for _, arg := range []string{"VERSION", "COMMIT"} {
			if _, ok := a.Docker.BuildArgs[arg]; !ok {
				t.Errorf("artifact %s has no %s build arg", a.Image, arg)
			}
		}
	}
	if !slices.Equal(images, []string{"helloserver", "loadgen"}) {
		t.Errorf("artifacts = %v, want [helloserver loadgen]", images)
	}
	if !slices.Equal(cfg.Manifests.Kustomize.Paths, []string{"overlays/local"}) {
		t.Errorf("default kustomize paths = %v, want [overlays/local]", cfg.Manifests.Kustomize.Paths)
	}
	if len(cfg.Manifests.Hooks.Before) != 1 || !strings.Contains(strings.Join(cfg.Manifests.Hooks.Before[0].Host.Command, " "), "make render") {
		t.Errorf("render hook = %+v, want make render with its output on stderr", cfg.Manifests.Hooks.Before)
	}
	pf := cfg.PortForward
	if len(pf) != 1 || pf[0].ResourceType != "service" || pf[0].ResourceName != "hellosvc" ||
		pf[0].Namespace != checks.Namespace || pf[0].Port != 80 || pf[0].LocalPort != 8080 {
		t.Errorf("portForward = %+v, want service hellosvc 80 -> localhost:8080 in asm-ready", pf)
	}
	var gke bool
	for _, p := range cfg.Profiles {
		if p.Name != "gke" {
			continue
		}
		gke = true
		if push := p.Build.Local.Push; push == nil || !*push {
			t.Error("gke profile does not push")
		}
		if !slices.Equal(p.Build.Platforms, []string{"linux/amd64", "linux/arm64"}) {
			t.Errorf("gke platforms = %v, want linux/amd64 and linux/arm64", p.Build.Platforms)
		}
	}
	if !gke {
		t.Error("no gke profile")
	}
}

// TestSkaffoldRenderMatchesOverlays: what skaffold deploys for each profile
// is what the overlay builds, except for the image references skaffold
// fills in with the images it built.
func TestSkaffoldRenderMatchesOverlays(t *testing.T) {
	tests := []struct{ profile, overlay string }{
		{"", "local"},
		{"gke", "gke"},
		{"kind-istio", "kind-istio"},
	}
	for _, tt := range tests {
		name := tt.profile
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"render", "--offline=true", "--digest-source=tag"}
			if tt.profile != "" {
				args = append(args, "--profile", tt.profile)
			}
			got := skaffoldRun(t, args...)
			want, err := kbuild.Build(filepath.Join(root(t), "overlays", tt.overlay))
			if err != nil {
				t.Fatal(err)
			}
			g, err := checks.Canonical(got)
			if err != nil {
				t.Fatal(err)
			}
			w, err := checks.Canonical(want)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(w, g); d != "" {
				t.Errorf("skaffold render -p %s differs from kustomize build overlays/%s (-kustomize +skaffold):\n%s", name, tt.overlay, d)
			}
			for _, image := range []string{"helloserver:", "loadgen:"} {
				if !bytes.Contains(got, []byte("image: "+image)) && !bytes.Contains(got, []byte("/"+image)) {
					t.Errorf("skaffold did not substitute the %s artifact:\n%s", strings.TrimSuffix(image, ":"), got)
				}
			}
		})
	}
}
