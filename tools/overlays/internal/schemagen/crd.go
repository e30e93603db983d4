package schemagen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdVersion is one served version of a CustomResourceDefinition.
type crdVersion struct {
	GVK    schema.GroupVersionKind
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
			g := schema.GroupVersionKind{Group: doc.Spec.Group, Version: v.Name, Kind: doc.Spec.Names.Kind}
			if v.Schema.OpenAPIV3Schema == nil {
				return nil, fmt.Errorf("%s %s: no openAPIV3Schema", g.Kind, g.GroupVersion())
			}
			out = append(out, crdVersion{g, v.Schema.OpenAPIV3Schema})
		}
	}
	return out, nil
}

// crdFile is where a CRD kind's schema goes, relative to the schema directory.
func crdFile(g schema.GroupVersionKind) string {
	return "crds/" + g.Group + "/" + strings.ToLower(g.Kind) + "_" + g.Version + ".json"
}

// crdSchema converts a structural openAPIV3Schema into a strict JSON schema
// and gives its root the fields every object has: apiVersion and kind
// pinned, metadata as ObjectMeta.
func crdSchema(v crdVersion, meta map[string]any) (map[string]any, error) {
	c, err := (&openAPI{}).convert(v.Schema, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", v.GVK.Kind, v.GVK.GroupVersion(), err)
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
