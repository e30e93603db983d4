package schemagen

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
)

const (
	defPrefix   = "#/definitions/"
	quantityDef = "io.k8s.apimachinery.pkg.api.resource.Quantity"
	objectMeta  = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
)

// intOrString and quantity accept what the API server accepts: YAML authors
// write `cpu: 1` and `targetPort: 8080` as numbers.
func intOrString() map[string]any {
	return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
}

func quantity() map[string]any {
	return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
}

// kindFile is the file name kubeconform looks up for g in the built-in layout:
// lower-case kind, the first label of the group, and the version.
func kindFile(g schema.GroupVersionKind) string {
	suffix := ""
	if g.Group != "" {
		suffix = "-" + strings.ToLower(strings.Split(g.Group, ".")[0])
	}
	return strings.ToLower(g.Kind) + suffix + "-" + strings.ToLower(g.Version) + ".json"
}

// openAPI converts schemas into standalone strict JSON schemas (draft 4
// semantics, as kubeconform compiles them): swagger 2.0 definitions, whose
// $refs it inlines from defs, or, with defs nil, a CRD's structural
// openAPIV3Schema, where any $ref is an error.
type openAPI struct {
	defs map[string]map[string]any
}

// schemaFor inlines the definition name into one self-contained schema.
func (o *openAPI) schemaFor(name string) (map[string]any, error) {
	def, ok := o.defs[name]
	if !ok {
		return nil, fmt.Errorf("definition %q not in swagger.json", name)
	}
	out, err := o.convert(def, map[string]bool{name: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out.(map[string]any), nil
}

// convert drops what a validator does not need (descriptions, examples,
// defaults) and applies the Kubernetes extensions it does not know:
// int-or-string, nullable, preserve-unknown-fields and embedded resources.
func (o *openAPI) convert(node any, stack map[string]bool) (any, error) {
	switch n := node.(type) {
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			c, err := o.convert(v, stack)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		if ref, ok := n["$ref"].(string); ok {
			return o.inline(ref, stack)
		}
		if n["format"] == "int-or-string" {
			return intOrString(), nil
		}
		out := map[string]any{}
		for k, v := range n {
			switch {
			case k == "description" || k == "example" || k == "default" || k == "nullable" || strings.HasPrefix(k, "x-kubernetes-"):
				continue
			case k == "properties":
				props, err := o.convertProperties(v, stack)
				if err != nil {
					return nil, err
				}
				out[k] = props
			default:
				c, err := o.convert(v, stack)
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
		if n["x-kubernetes-preserve-unknown-fields"] != true && n["x-kubernetes-embedded-resource"] != true {
			strict(out)
		}
		if o.defs != nil {
			// The API server lets optional fields of built-in kinds be null;
			// a CRD says so with nullable.
			nullableOptional(out)
		}
		if n["nullable"] == true {
			if anyOf, ok := out["anyOf"].([]any); ok {
				out["anyOf"] = append(anyOf, map[string]any{"type": "null"})
			} else {
				allowNull(out)
			}
		}
		return out, nil
	default:
		return node, nil
	}
}

// inline returns the converted definition a $ref names.
func (o *openAPI) inline(ref string, stack map[string]bool) (any, error) {
	name, ok := strings.CutPrefix(ref, defPrefix)
	if !ok {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	if name == quantityDef {
		return quantity(), nil
	}
	if stack[name] {
		// Recursive types (JSONSchemaProps) stop here: accept anything below.
		return map[string]any{}, nil
	}
	def, ok := o.defs[name]
	if !ok {
		return nil, fmt.Errorf("$ref %q: no such definition", ref)
	}
	stack[name] = true
	defer delete(stack, name)
	return o.convert(def, stack)
}

// convertProperties keeps property names verbatim (a property called
// "description" is a field, not a keyword).
func (o *openAPI) convertProperties(v any, stack map[string]bool) (map[string]any, error) {
	props, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("properties is %T, want an object", v)
	}
	out := make(map[string]any, len(props))
	for name, p := range props {
		c, err := o.convert(p, stack)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", name, err)
		}
		out[name] = c
	}
	return out, nil
}

// strict closes an object that lists its properties, the "-strict" in
// kubeconform's standalone-strict: an unknown or misspelt field is an error.
func strict(s map[string]any) {
	if _, ok := s["properties"]; !ok {
		return
	}
	if _, ok := s["additionalProperties"]; ok {
		return
	}
	s["additionalProperties"] = false
}

// nullableOptional lets optional fields be null, as the API server does
// (`creationTimestamp: null`, `resources: {}` rendered as null by some tools).
func nullableOptional(s map[string]any) {
	props, ok := s["properties"].(map[string]any)
	if !ok {
		return
	}
	req := required(s)
	for name, p := range props {
		if req.Has(name) {
			continue
		}
		if m, ok := p.(map[string]any); ok {
			allowNull(m)
		}
	}
}

// required returns the property names s lists as required.
func required(s map[string]any) sets.Set[string] {
	names := sets.New[string]()
	list, _ := s["required"].([]any)
	for _, r := range list {
		if name, ok := r.(string); ok {
			names.Insert(name)
		}
	}
	return names
}

func allowNull(m map[string]any) {
	switch t := m["type"].(type) {
	case string:
		m["type"] = []any{t, "null"}
	case []any:
		for _, v := range t {
			if v == "null" {
				return
			}
		}
		m["type"] = append(t, "null")
	case nil:
		if one, ok := m["oneOf"].([]any); ok {
			m["oneOf"] = append(one, map[string]any{"type": "null"})
		}
	}
}

// pinKind makes apiVersion and kind accept only g's values and requires them.
func pinKind(s map[string]any, g schema.GroupVersionKind) {
	props, _ := s["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		s["properties"] = props
	}
	props["apiVersion"] = map[string]any{"type": "string", "enum": []any{g.GroupVersion().String()}}
	props["kind"] = map[string]any{"type": "string", "enum": []any{g.Kind}}
	var list []any
	for _, name := range sets.List(required(s).Insert("apiVersion", "kind")) {
		list = append(list, name)
	}
	s["required"] = list
}

// kindSchemas returns one schema per group/version/kind declared in the
// swagger definitions, keyed by kubeconform file name.
func (o *openAPI) kindSchemas() (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(o.defs)) {
		gvks, ok := o.defs[name]["x-kubernetes-group-version-kind"].([]any)
		if !ok || len(gvks) != 1 {
			// Kinds registered under many groups (DeleteOptions, WatchEvent)
			// are API plumbing, never manifests.
			continue
		}
		g, err := gvkOf(gvks[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s, err := o.schemaFor(name)
		if err != nil {
			return nil, err
		}
		pinKind(s, g)
		file := kindFile(g)
		if _, dup := out[file]; dup {
			return nil, fmt.Errorf("two kinds map to schema file %s (second: %s)", file, name)
		}
		out[file] = s
	}
	return out, nil
}

func gvkOf(v any) (schema.GroupVersionKind, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return schema.GroupVersionKind{}, fmt.Errorf("x-kubernetes-group-version-kind entry is %T", v)
	}
	g, _ := m["group"].(string)
	ver, _ := m["version"].(string)
	k, _ := m["kind"].(string)
	if ver == "" || k == "" {
		return schema.GroupVersionKind{}, fmt.Errorf("x-kubernetes-group-version-kind entry %v lacks version or kind", m)
	}
	return schema.GroupVersionKind{Group: g, Version: ver, Kind: k}, nil
}
