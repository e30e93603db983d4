// Package crds loads the CustomResourceDefinitions the suite installs (Istio,
// Argo CD, Flux) from the Go modules their projects publish, read from the Go
// module cache: pinned, checksum-verified by the go command, never
// hand-written or fetched from the web.
package crds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Source is one module version and the CRD files inside it.
type Source struct {
	Module  string
	Version string
	Files   []string // slash-separated, relative to the module root
}

// Pinned are the CRD sources. Argo CD and Flux are held at the newest
// releases whose go.mod accepts Go 1.26 (later ones require Go 1.27, and the
// go command refuses to download them with this toolchain).
var Pinned = []Source{
	{
		Module:  "istio.io/api",
		Version: "v1.32.0",
		Files:   []string{"kubernetes/customresourcedefinitions.gen.yaml"},
	},
	{
		Module:  "github.com/argoproj/argo-cd/v3",
		Version: "v3.5.7",
		Files:   []string{"manifests/crds/application-crd.yaml", "manifests/crds/appproject-crd.yaml"},
	},
	{
		Module:  "github.com/fluxcd/source-controller",
		Version: "v1.9.6",
		Files: []string{
			"config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml",
			"config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml",
		},
	},
	{
		Module:  "github.com/fluxcd/kustomize-controller",
		Version: "v1.9.6",
		Files:   []string{"config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"},
	},
}

// ModuleDir returns the module cache directory of module@version, downloading
// it through the go command (GOPROXY, GOSUMDB) when it is not cached yet.
func ModuleDir(module, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	// Outside any module, so the download neither reads nor edits a go.mod.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var out struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.Error != "" || out.Dir == "" || runErr != nil {
		return "", fmt.Errorf("go mod download %s@%s: %s%s %v", module, version, out.Error, strings.TrimSpace(stderr.String()), runErr)
	}
	return out.Dir, nil
}

// Load reads every file of every source and returns the CRDs, in order.
func Load(sources []Source, moduleDir func(module, version string) (string, error)) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var all []*apiextensionsv1.CustomResourceDefinition
	for _, s := range sources {
		dir, err := moduleDir(s.Module, s.Version)
		if err != nil {
			return nil, err
		}
		for _, f := range s.Files {
			path := filepath.Join(dir, filepath.FromSlash(f))
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("%s@%s: %w", s.Module, s.Version, err)
			}
			crds, err := Parse(b)
			if err != nil {
				return nil, fmt.Errorf("%s@%s %s: %w", s.Module, s.Version, f, err)
			}
			if len(crds) == 0 {
				return nil, fmt.Errorf("%s@%s %s: no CustomResourceDefinition in the file", s.Module, s.Version, f)
			}
			all = append(all, crds...)
		}
	}
	return all, nil
}

// Parse decodes a multi-document YAML stream of apiextensions.k8s.io/v1
// CustomResourceDefinitions; any other document is an error.
func Parse(b []byte) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(doc, crd); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if crd.APIVersion != "apiextensions.k8s.io/v1" || crd.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("document %d: apiVersion %q kind %q, want apiextensions.k8s.io/v1 CustomResourceDefinition", i, crd.APIVersion, crd.Kind)
		}
		if crd.Name == "" {
			return nil, fmt.Errorf("document %d: CustomResourceDefinition without metadata.name", i)
		}
		out = append(out, crd)
	}
}

// stripComments drops comment lines, so a document holding only comments
// (a licence header, a separator) counts as empty.
func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}
