package meshcheck

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Object is one Kubernetes object read from the input.
type Object struct {
	APIVersion string
	Kind       string
	// Namespace as written; empty for cluster-scoped objects and for
	// namespaced objects that rely on the default (see Options.Namespace).
	Namespace   string
	Name        string
	Labels      map[string]string
	Annotations map[string]string

	// File is the path the object was read from ("<stdin>" for standard input).
	File string
	// Line is the 1-based line of the object's first key in File.
	Line int
	// Source is the chart template that produced the object, from Helm's
	// "# Source: <chart>/templates/<file>" comment; empty when absent.
	Source string

	// Typed is the decoded k8s.io/api object (*appsv1.Deployment,
	// *corev1.Service, ...) for the kinds the rules inspect; nil otherwise.
	Typed any

	node *yaml.Node // the object's mapping node, for field line numbers
	lazy *lazyTree  // or the fast path's text, made a yaml.Node tree on first use
	line int        // offset added to node lines: node line 1 == file line `line`
}

// lazyTree keeps a fast-path object's document text until a line number is
// wanted, and parses it again then: most objects never need one, and keeping
// every tree would cost more memory (and garbage collection) than the rare
// second parse costs time.
type lazyTree struct {
	once sync.Once
	text string
	node *yaml.Node
}

// tree is the object's mapping node.
func (o *Object) tree() *yaml.Node {
	if o.lazy == nil {
		return o.node
	}
	o.lazy.once.Do(func() {
		// The text took the fast path once and parsing is deterministic;
		// were it ever to fail, LineOf falls back to the object's line.
		if root, ok := parseFast(o.lazy.text); ok {
			o.lazy.node = root.yaml()
		}
		o.lazy.text = ""
	})
	return o.lazy.node
}

// Ref names the object the way people write it: Kind namespace/name.
func (o *Object) Ref() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// LineOf returns the file line of the field at path (map keys as strings,
// sequence indexes as ints), or of the deepest existing ancestor, so a
// finding always points somewhere sensible.
func (o *Object) LineOf(path ...any) int {
	if o == nil || o.tree() == nil {
		return 0
	}
	n := o.tree()
	best := n.Line
	for _, p := range path {
		next := child(n, p)
		if next == nil {
			break
		}
		n = next
		best = n.Line
	}
	return best + o.line - 1
}

// child steps from n to the map value under key p (string) or the sequence
// element p (int), following aliases; nil when absent.
func child(n *yaml.Node, p any) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	switch k := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				// Point at the key: that is where the field starts in the file.
				v := *n.Content[i+1]
				v.Line = n.Content[i].Line
				return &v
			}
		}
	case int:
		if n.Kind != yaml.SequenceNode || k < 0 || k >= len(n.Content) {
			return nil
		}
		return n.Content[k]
	}
	return nil
}

// lineOfFieldPath maps a JSON field path from the decoder ("spec.ports",
// "spec.template.spec.containers[0].ports[1].name") to a line. Paths without
// indexes (as in type errors) pick the first sequence element that has the rest.
func (o *Object) lineOfFieldPath(path string) int {
	if o.tree() == nil || path == "" {
		return o.Line
	}
	var steps []any
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			steps = append(steps, name)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				break
			}
			if i, err := strconv.Atoi(idx); err == nil {
				steps = append(steps, i)
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	line := findPath(o.tree(), steps)
	if line == 0 {
		return o.Line
	}
	return line + o.line - 1
}

// findPath walks steps from n, searching sequence elements when the path
// does not say which one; it returns the deepest line found.
func findPath(n *yaml.Node, steps []any) int {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return 0
	}
	if len(steps) == 0 {
		return n.Line
	}
	if n.Kind == yaml.SequenceNode {
		if _, isIndex := steps[0].(int); !isIndex {
			for _, el := range n.Content {
				if l := findPath(el, steps); l != 0 && child(el, steps[0]) != nil {
					return l
				}
			}
			return n.Line
		}
	}
	next := child(n, steps[0])
	if next == nil {
		return n.Line
	}
	if l := findPath(next, steps[1:]); l != 0 {
		return l
	}
	return next.Line
}

// InputError is a problem with the input itself (syntax, shape, missing
// fields). Any input error makes the run fail with exit code 2.
type InputError struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// InputErrors collects every input error of a load, so a user fixes them
// in one pass rather than one per run.
type InputErrors []*InputError

func (es InputErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
