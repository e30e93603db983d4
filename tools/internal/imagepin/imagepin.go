// Package imagepin points a kustomize overlay at the images a build pushed,
// pinned by digest: one `images:` entry per image the overlay's manifests
// name, with the pushed repository as `newName` and its `digest`, so Argo CD
// and Flux deploy exactly what was built whatever a tag does later. The
// builds are read from BuildKit's metadata (`docker buildx build
// --metadata-file`, docker/build-push-action's `metadata` output).
package imagepin

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Build is one pushed image.
type Build struct {
	Repository string // where it was pushed, without tag or digest
	Digest     string // sha256:<64 hex> of the pushed manifest or index
}

var digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseMetadata reads one image's build from BuildKit's metadata JSON:
// "image.name" (the pushed references, comma-separated) and
// "containerimage.digest".
func ParseMetadata(data []byte) (Build, error) {
	var m struct {
		Name   string `json:"image.name"`
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return Build{}, fmt.Errorf("not BuildKit metadata JSON: %w", err)
	}
	if !digest.MatchString(m.Digest) {
		return Build{}, fmt.Errorf(`"containerimage.digest" is %q, want sha256:<64 hex>: build with --push and --metadata-file`, m.Digest)
	}
	first, _, _ := strings.Cut(m.Name, ",")
	b := Build{Repository: repository(strings.TrimSpace(first)), Digest: m.Digest}
	if b.Repository == "" {
		return Build{}, fmt.Errorf(`"image.name" is empty: build with --tag <registry>/<image>:<tag>`)
	}
	return b, nil
}

// repository strips the tag and digest from an image reference.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// Images lists the repositories of the containers of every workload in a
// manifest stream, sorted, each once: the names kustomize's `images:` match.
func Images(manifests []byte) ([]string, error) {
	nodes, err := kio.FromBytes(manifests)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nodes {
		containers, err := n.Pipe(kyaml.Lookup("spec", "template", "spec", "containers"))
		if err != nil || containers == nil {
			continue
		}
		for _, c := range containers.Content() {
			if img := kyaml.NewRNode(c).Field("image"); img != nil {
				out = append(out, repository(img.Value.YNode().Value))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Pin returns kustomization with its `images:` replaced by one entry per
// image: the build whose repository ends in the same name (helloserver,
// loadgen). Every image needs exactly one build and every build an image.
// The rest of the file, comments and list style included, is kept.
func Pin(kustomization []byte, images []string, builds []Build) ([]byte, error) {
	byName := map[string]Build{}
	for _, b := range builds {
		name := path.Base(b.Repository)
		if prev, dup := byName[name]; dup {
			return nil, fmt.Errorf("two builds of %s: %s and %s; pass one per image", name, prev.Repository, b.Repository)
		}
		if !slices.ContainsFunc(images, func(i string) bool { return path.Base(i) == name }) {
			return nil, fmt.Errorf("build %s matches no image of the overlay (%s)", b.Repository, strings.Join(images, ", "))
		}
		byName[name] = b
	}
	var entries []types.Image
	for _, img := range images {
		b, ok := byName[path.Base(img)]
		if !ok {
			return nil, fmt.Errorf("no build of %s: pass the metadata of the %s image too", img, path.Base(img))
		}
		entries = append(entries, types.Image{Name: img, NewName: b.Repository, Digest: b.Digest})
	}
	list, err := kyaml.Marshal(entries) // field order as in types.Image
	if err != nil {
		return nil, err
	}
	doc, err := kyaml.Parse(string(kustomization))
	if err != nil {
		return nil, fmt.Errorf("kustomization: %w", err)
	}
	node, err := kyaml.Parse(string(list))
	if err != nil {
		return nil, err
	}
	if err := doc.PipeE(kyaml.SetField("images", node)); err != nil {
		return nil, err
	}
	style := kyaml.SequenceIndentStyle(kyaml.DeriveSeqIndentStyle(string(kustomization)))
	return kyaml.MarshalWithOptions(doc.Document(), &kyaml.EncoderOptions{SeqIndent: style})
}
