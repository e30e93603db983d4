package imagepin

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const sha = "sha256:40bec565102846e61170af983b7c98896a6f43e5f82363026ad0671a62ae303d"

func TestParseMetadata(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "helloserver.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseMetadata(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Build{"europe-west1-docker.pkg.dev/my-project/asm-ready/helloserver", sha}); b != want {
		t.Errorf("ParseMetadata = %+v, want %+v", b, want)
	}
	for _, tc := range []struct{ name, json, want string }{
		{"not JSON", `image.name=x`, "not BuildKit metadata JSON"},
		{"no digest (built without --push)", `{"image.name": "r/helloserver:1"}`, `"containerimage.digest" is ""`},
		{"bad digest", `{"image.name": "r/helloserver:1", "containerimage.digest": "sha256:abc"}`, "want sha256:<64 hex>"},
		{"no name", `{"containerimage.digest": "` + sha + `"}`, `"image.name" is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseMetadata([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseMetadata(%s) error = %v, want %q", tc.json, err, tc.want)
			}
		})
	}
}

func TestRepository(t *testing.T) {
	for ref, want := range map[string]string{
		"ghcr.io/asm-ready/loadgen:0.1.0":           "ghcr.io/asm-ready/loadgen",
		"registry.local:5000/loadgen":               "registry.local:5000/loadgen",
		"registry.local:5000/loadgen:dev":           "registry.local:5000/loadgen",
		"loadgen@" + sha:                            "loadgen",
		"ghcr.io/asm-ready/loadgen:0.1.0@" + sha:    "ghcr.io/asm-ready/loadgen",
		"europe-west1-docker.pkg.dev/p/r/hs:v1.2.3": "europe-west1-docker.pkg.dev/p/r/hs",
	} {
		if got := repository(ref); got != want {
			t.Errorf("repository(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestImages(t *testing.T) {
	manifests := `apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec: {template: {spec: {containers: [{name: main, image: "ghcr.io/x/helloserver:0.1.0"}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec: {template: {spec: {containers: [{name: main, image: "ghcr.io/x/helloserver:0.2.0"}, {name: side, image: "ghcr.io/x/loadgen:0.1.0"}]}}}
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: 80}]}
`
	got, err := Images([]byte(manifests))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ghcr.io/x/helloserver", "ghcr.io/x/loadgen"}; !slices.Equal(got, want) {
		t.Errorf("Images = %v, want %v", got, want)
	}
}

const kustomization = `# Head comment stays.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - rendered.yaml
# Images: written by the pin step.
images:
  - name: old
    newName: older
`

func TestPin(t *testing.T) {
	images := []string{"ghcr.io/asm-ready/helloserver", "ghcr.io/asm-ready/loadgen"}
	hs := Build{"reg.example/p/helloserver", sha}
	lg := Build{"reg.example/p/loadgen", "sha256:" + strings.Repeat("0", 64)}
	out, err := Pin([]byte(kustomization), images, []Build{lg, hs})
	if err != nil {
		t.Fatal(err)
	}
	want := `# Head comment stays.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - rendered.yaml
# Images: written by the pin step.
images:
  - name: ghcr.io/asm-ready/helloserver
    newName: reg.example/p/helloserver
    digest: ` + sha + `
  - name: ghcr.io/asm-ready/loadgen
    newName: reg.example/p/loadgen
    digest: sha256:` + strings.Repeat("0", 64) + `
`
	if string(out) != want {
		t.Errorf("Pin =\n%s\nwant\n%s", out, want)
	}
	for _, tc := range []struct {
		name   string
		builds []Build
		want   string
	}{
		{"a build missing", []Build{hs}, "no build of ghcr.io/asm-ready/loadgen"},
		{"a build of no image", []Build{hs, lg, {"reg.example/p/other", sha}}, "build reg.example/p/other matches no image"},
		{"two builds of one image", []Build{hs, lg, {"reg2.example/helloserver", sha}}, "two builds of helloserver"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Pin([]byte(kustomization), images, tc.builds); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Pin error = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Pin([]byte("images: [\n"), images, []Build{hs, lg}); err == nil {
		t.Error("Pin accepted a kustomization that is not YAML")
	}
}

func FuzzParseMetadata(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "loadgen.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"image.name": ",", "containerimage.digest": "` + sha + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseMetadata(data)
		if err != nil {
			return
		}
		if !digest.MatchString(b.Digest) || b.Repository == "" || strings.ContainsAny(b.Repository, "@,") {
			t.Errorf("ParseMetadata(%q) = %+v: not a repository and a digest", data, b)
		}
	})
}
