package overlays

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/asm-ready/asm-ready/tools/meshcheck"
	"github.com/asm-ready/asm-ready/tools/overlays/internal/checks"
)

// pinImages runs the pin step as `make pin-images` does, over overlay.
func pinImages(t *testing.T, overlay string, metadata ...string) ([]byte, error) {
	t.Helper()
	args := append([]string{"run", "./cmd/pinimages", "-overlay", overlay}, metadata...)
	cmd := exec.CommandContext(ctx(t, buildTimeout), "go", args...)
	cmd.Dir = filepath.Join(root(t), "tools")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	return cmd.CombinedOutput()
}

// TestPinImages is the GitOps image path without a registry: the pin step,
// fed what `docker buildx build --push --metadata-file` records, makes
// overlays/gke deploy exactly the pushed digests, and the pinned overlay
// still builds the same with the kustomize CLI, passes kubeconform for every
// tested Kubernetes version and meshcheck, and keeps its render current
// (check-render): only the kustomization's `images:` change.
func TestPinImages(t *testing.T) {
	tmp := copyOverlays(t)
	gke := filepath.Join(tmp, "gke")
	testdata := filepath.Join(root(t), "tools", "internal", "imagepin", "testdata")
	meta := map[string]string{} // image name -> repository@digest, read from the metadata
	var files []string
	for _, name := range []string{"helloserver", "loadgen"} {
		f := filepath.Join(testdata, name+".json")
		files = append(files, f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		ref, _, _ := strings.Cut(m["image.name"].(string), ",")
		meta[name] = ref[:strings.LastIndex(ref, ":")] + "@" + m["containerimage.digest"].(string)
	}
	kfile := filepath.Join(gke, "kustomization.yaml")
	before, err := os.ReadFile(kfile)
	if err != nil {
		t.Fatal(err)
	}

	// Bad input writes nothing.
	if out, err := pinImages(t, gke, files[0]); err == nil || !strings.Contains(string(out), "no build of ghcr.io/asm-ready/loadgen") {
		t.Errorf("pin with one of two builds: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(kfile); !bytes.Equal(after, before) {
		t.Error("a failed pin changed kustomization.yaml")
	}

	if out, err := pinImages(t, gke, files...); err != nil {
		t.Fatalf("pin: %v\n%s", err, out)
	}
	pinned, err := os.ReadFile(kfile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pinned, before[:bytes.Index(before, []byte("apiVersion:"))]) {
		t.Errorf("the pin lost the kustomization's comments:\n%s", pinned)
	}

	out := build(t, gke)
	p := parse(t, out)
	for key, image := range map[string]string{
		"Deployment/helloserver": meta["helloserver"], "Deployment/helloserver-v2": meta["helloserver"], "Deployment/loadgenerator": meta["loadgen"],
	} {
		if got := into[appsv1.Deployment](t, p, key).Spec.Template.Spec.Containers[0].Image; got != image {
			t.Errorf("%s image = %s, want the pushed %s", key, got, image)
		}
	}
	bin := kustomizeBin(t) // built before the run's time limit starts
	cli := exec.CommandContext(ctx(t, 2*time.Minute), bin, "build", gke)
	if got, err := cli.Output(); err != nil || !bytes.Equal(got, out) {
		t.Errorf("kustomize CLI on the pinned overlay: %v; differs from the Go API (-CLI +Go API):\n%s", err, cmp.Diff(string(got), string(out)))
	}
	for version, v := range validators(t) {
		for _, problem := range v.Validate("pinned overlays/gke", out).Problems {
			t.Errorf("Kubernetes %s: %s", version, problem)
		}
	}
	if _, err := checks.MeshFindings("pinned overlays/gke", out, meshcheck.MeshOn); err != nil {
		t.Error(err)
	}
	// The pin touches nothing but kustomization.yaml, so the render stays
	// current (TestRenderedUpToDate, make check-render).
	for _, f := range []string{"rendered.yaml", "values.yaml", "namespace.yaml"} {
		want, _ := os.ReadFile(filepath.Join(root(t), "overlays", "gke", f))
		if got, err := os.ReadFile(filepath.Join(gke, f)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("the pin changed overlays/gke/%s (%v)", f, err)
		}
	}
	build(t, filepath.Join(tmp, "gke-skaffold"))

	// Pinning the same builds again changes nothing.
	if out, err := pinImages(t, gke, files...); err != nil {
		t.Fatalf("second pin: %v\n%s", err, out)
	}
	if again, _ := os.ReadFile(kfile); !bytes.Equal(again, pinned) {
		t.Errorf("a second pin changed the file (-first +second):\n%s", cmp.Diff(string(pinned), string(again)))
	}
}
