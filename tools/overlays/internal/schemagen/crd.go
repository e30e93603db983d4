package schemagen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// crdVersion is one served version of a CustomResourceDefinition.
type crdVersion struct {
	GVK    GVK
	Schema map[string]any
}

// parseCRDs reads every CustomResourceDefinition in a multi-document YAML file.
func parseCRDs(data []byte) ([]crdVersion, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []crdVersion
	for i := 0; ; i++ {
		var doc struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Group string `yaml:"group"`
				Names struct {
					Kind string `yaml:"kind"`
				} `yaml:"names"`
				Versions []struct {
					Name   string `yaml:"name"`
					Served bool   `yaml:"served"`
					Schema struct {
						OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
					} `yaml:"schema"`
				} `yaml:"versions"`
			} `yaml:"spec"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if doc.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range doc.Spec.Versions {
			if !v.Served {
				continue
			}
			g := GVK{doc.Spec.Group, v.Name, doc.Spec.Names.Kind}
			if v.Schema.OpenAPIV3Schema == nil {
				return nil, fmt.Errorf("%s %s: no openAPIV3Schema", g.Kind, g.APIVersion())
			}
			out = append(out, crdVersion{g, v.Schema.OpenAPIV3Schema})
		}
	}
	return out, nil
}

// CRDFile is where a CRD kind's schema goes, relative to the schema directory.
func (g GVK) CRDFile() string {
	return "crds/" + g.Group + "/" + strings.ToLower(g.Kind) + "_" + g.Version + ".json"
}

// crdSchema converts a structural openAPIV3Schema into a strict JSON schema
// (draft 4 semantics, as kubeconform compiles it) and gives its root the
// fields every object has: apiVersion and kind pinned, metadata as ObjectMeta.
func crdSchema(v crdVersion, meta map[string]any) (map[string]any, error) {
	c, err := convertStructural(v.Schema, "")
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", v.GVK.Kind, v.GVK.APIVersion(), err)
	}
	s := c.(map[string]any)
	props, _ := s["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		s["properties"] = props
	}
	props["metadata"] = meta
	pinKind(s, v.GVK)
	strict(s)
	return s, nil
}

// convertStructural applies the Kubernetes extensions a validator does not
// know: int-or-string, nullable, preserve-unknown-fields and embedded resources.
func convertStructural(node any, path string) (any, error) {
	switch n := node.(type) {
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			c, err := convertStructural(v, path)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		if _, ok := n["$ref"]; ok {
			return nil, fmt.Errorf("%s: $ref is not allowed in a structural schema", path)
		}
		out := map[string]any{}
		for k, v := range n {
			switch {
			case k == "description" || k == "example" || k == "default":
				continue
			case strings.HasPrefix(k, "x-kubernetes-"), k == "nullable":
				continue
			case k == "properties":
				props, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s: properties is %T", path, v)
				}
				cp := make(map[string]any, len(props))
				for name, p := range props {
					c, err := convertStructural(p, path+"."+name)
					if err != nil {
						return nil, err
					}
					cp[name] = c
				}
				out[k] = cp
			default:
				c, err := convertStructural(v, path)
				if err != nil {
					return nil, err
				}
				out[k] = c
			}
		}
		if n["x-kubernetes-int-or-string"] == true {
			delete(out, "type")
			out["anyOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}
		}
		open := n["x-kubernetes-preserve-unknown-fields"] == true || n["x-kubernetes-embedded-resource"] == true
		if !open {
			strict(out)
		}
		if n["nullable"] == true {
			if _, ok := out["anyOf"]; ok {
				out["anyOf"] = append(out["anyOf"].([]any), map[string]any{"type": "null"})
			} else {
				allowNull(out)
			}
		}
		return out, nil
	default:
		return node, nil
	}
}
