package schemagen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Dir is the schema directory inside the cache directory for this set of pins.
func Dir(cache string) string {
	return filepath.Join(cache, "schemas", "k8s-v"+strings.Join(KubernetesVersions, "-v")+"-"+pinsDigest())
}

// pinsDigest names the directory after the pins, so a version bump never
// reuses stale schemas.
func pinsDigest() string {
	parts := append(slices.Clone(KubernetesVersions), fmt.Sprint(formatVersion))
	for _, s := range crdSources {
		parts = append(parts, s.Module.Path+"@"+s.Module.Version+"/"+s.File)
	}
	h := fnv.New32a() // short and stable; no crypto needed
	h.Write([]byte(strings.Join(parts, "\n")))
	return fmt.Sprintf("%08x", h.Sum32())
}

// formatVersion changes whenever the conversion itself changes.
const formatVersion = 1

// ModuleDir returns the module-cache directory of m, downloading it with the
// go command (from the configured module proxy, checked against go.sum's
// checksum database) when needed.
func ModuleDir(ctx context.Context, m Module) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", m.Path+"@"+m.Version)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	cmd.Dir = os.TempDir() // outside any module: download only, nothing to resolve
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v (%v)", m.Path, m.Version, err, jerr)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", m.Path, m.Version, info.Error)
	}
	return info.Dir, nil
}

// Generate writes the schemas into Dir(cache) unless they are already there,
// and returns that directory.
func Generate(ctx context.Context, cache string) (string, error) {
	dir := Dir(cache)
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir, nil
	}
	files, err := Build(ctx)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-schemas-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for name, data := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), []byte(strings.Join(slices.Sorted(maps.Keys(files)), "\n")+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process finished first; its result is identical.
		if _, serr := os.Stat(filepath.Join(dir, "complete")); serr == nil {
			return dir, nil
		}
		return "", err
	}
	return dir, nil
}

// Build generates every schema file in memory, keyed by slash path relative
// to the schema directory: the built-in kinds of each Kubernetes version, and
// the CRDs (whose metadata is the newest version's ObjectMeta).
func Build(ctx context.Context) (map[string][]byte, error) {
	files := map[string][]byte{}
	var meta map[string]any
	for _, v := range KubernetesVersions {
		kdir, err := ModuleDir(ctx, kubernetesModule(v))
		if err != nil {
			return nil, err
		}
		swagger, err := os.ReadFile(filepath.Join(kdir, "api", "openapi-spec", "swagger.json"))
		if err != nil {
			return nil, err
		}
		var kinds map[string][]byte
		if kinds, meta, err = builtinSchemas(swagger, v); err != nil {
			return nil, fmt.Errorf("k8s.io/kubernetes v%s: %w", v, err)
		}
		maps.Copy(files, kinds)
	}
	for _, src := range crdSources {
		d, err := ModuleDir(ctx, src.Module) // quick once the module is in the module cache
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(filepath.Join(d, filepath.FromSlash(src.File)))
		if err != nil {
			return nil, fmt.Errorf("%s@%s: %w", src.Module.Path, src.Module.Version, err)
		}
		crdFiles, err := crdSchemas(data, meta)
		if err != nil {
			return nil, fmt.Errorf("%s@%s %s: %w", src.Module.Path, src.Module.Version, src.File, err)
		}
		maps.Copy(files, crdFiles)
	}
	return files, nil
}

// builtinSchemas converts the swagger.json of Kubernetes version; it also
// returns the inlined ObjectMeta schema, which CRD roots reuse.
func builtinSchemas(swagger []byte, version string) (map[string][]byte, map[string]any, error) {
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(swagger, &doc); err != nil {
		return nil, nil, fmt.Errorf("swagger.json: %w", err)
	}
	o := &openAPI{defs: doc.Definitions}
	kinds, err := o.kindSchemas()
	if err != nil {
		return nil, nil, err
	}
	meta, err := o.schemaFor(objectMeta)
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	prefix := "v" + version + "-standalone-strict/"
	for name, s := range kinds {
		data, err := marshal(s)
		if err != nil {
			return nil, nil, err
		}
		files[prefix+name] = data
	}
	return files, meta, nil
}

func crdSchemas(data []byte, meta map[string]any) (map[string][]byte, error) {
	versions, err := parseCRDs(data)
	if err != nil {
		return nil, err
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition found")
	}
	files := map[string][]byte{}
	for _, v := range versions {
		s, err := crdSchema(v, meta)
		if err != nil {
			return nil, err
		}
		out, err := marshal(s)
		if err != nil {
			return nil, err
		}
		files[crdFile(v.GVK)] = out
	}
	return files, nil
}

func marshal(s map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
