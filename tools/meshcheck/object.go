package meshcheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// Source is the chart template that produced the object, from Helm's
	// "# Source: <chart>/templates/<file>" comment; empty when absent.
	Source string

	// Typed is the decoded k8s.io/api object (*appsv1.Deployment,
	// *corev1.Service, ...) for the kinds the rules inspect, the
	// *corev1.PodTemplateSpec of other workload kinds (Argo Rollouts ...),
	// nil otherwise.
	Typed any

	doc *document
	at  []any // the object's path in its document: items.N for a List item
}

// document is one YAML or JSON document of a file, as written.
type document struct {
	text []byte
	json []byte // set for JSON documents; YAML is converted on decoding
	line int    // file line of text's first line

	once sync.Once
	root *yaml.Node // text's node tree, built the first time a line is needed
}

func (d *document) tree() *yaml.Node {
	d.once.Do(func() {
		var n yaml.Node
		// The document has decoded already; should this YAML library refuse
		// it, findings point at the document's first line instead of a field.
		if yaml.Unmarshal(d.text, &n) == nil && len(n.Content) > 0 {
			d.root = n.Content[0]
		}
	})
	return d.root
}

// Ref names the object the way people write it: Kind namespace/name.
func (o *Object) Ref() string { return ref(o.Kind, o.Namespace, o.Name) }

func ref(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

// LineOf returns the file line of the field at path (map keys as strings,
// sequence indexes as ints), or of its deepest existing ancestor; no path
// is the object's first line.
func (o *Object) LineOf(path ...any) int {
	return o.doc.lineOf(append(slices.Clone(o.at), path...))
}

// lineOf walks steps from the root and returns the file line of the
// deepest node reached (a field's key line).
func (d *document) lineOf(steps []any) int {
	n := d.tree()
	if n == nil {
		return d.line
	}
	return walk(n, n.Line, steps) + d.line - 1
}

// walk follows steps from n, which starts at line (its key's line for a
// mapping value). A key step on a sequence goes into the first element
// with that key: decoder errors name fields without indexes
// (spec.ports.port).
func walk(n *yaml.Node, line int, steps []any) int {
	n = resolve(n)
	if len(steps) == 0 {
		return line
	}
	switch step := steps[0].(type) {
	case string:
		if n.Kind == yaml.SequenceNode {
			for _, el := range n.Content {
				if key(resolve(el), step) >= 0 {
					return walk(el, el.Line, steps)
				}
			}
		}
		if i := key(n, step); i >= 0 {
			return walk(n.Content[i+1], n.Content[i].Line, steps[1:])
		}
	case int:
		if n.Kind == yaml.SequenceNode && step >= 0 && step < len(n.Content) {
			return walk(n.Content[step], n.Content[step].Line, steps[1:])
		}
	}
	return line
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// key is the index of name's key node in mapping n, or -1.
func key(n *yaml.Node, name string) int {
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return i
		}
	}
	return -1
}

// fieldPath turns a decoder's field path (spec.containers[0].ports[1].name)
// into steps for lineOf.
func fieldPath(path string) []any {
	var steps []any
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			steps = append(steps, name)
		}
		for _, idx := range strings.Split(rest, "[") {
			if i, err := strconv.Atoi(strings.TrimSuffix(idx, "]")); err == nil {
				steps = append(steps, i)
			}
		}
	}
	return steps
}

// podTemplate returns the pod an object runs: its metadata, its spec and
// the path to them; ok is false for objects that run no pods.
func podTemplate(typed any) (meta *metav1.ObjectMeta, spec *corev1.PodSpec, path []any, ok bool) {
	tpl := func(t *corev1.PodTemplateSpec, path ...any) (*metav1.ObjectMeta, *corev1.PodSpec, []any, bool) {
		return &t.ObjectMeta, &t.Spec, path, true
	}
	switch t := typed.(type) {
	case *corev1.Pod:
		return &t.ObjectMeta, &t.Spec, nil, true
	case *appsv1.Deployment:
		return tpl(&t.Spec.Template, "spec", "template")
	case *appsv1.StatefulSet:
		return tpl(&t.Spec.Template, "spec", "template")
	case *appsv1.DaemonSet:
		return tpl(&t.Spec.Template, "spec", "template")
	case *appsv1.ReplicaSet:
		return tpl(&t.Spec.Template, "spec", "template")
	case *corev1.ReplicationController:
		if t.Spec.Template != nil {
			return tpl(t.Spec.Template, "spec", "template")
		}
	case *batchv1.Job:
		return tpl(&t.Spec.Template, "spec", "template")
	case *batchv1.CronJob:
		return tpl(&t.Spec.JobTemplate.Spec.Template, "spec", "jobTemplate", "spec", "template")
	case *corev1.PodTemplateSpec:
		return tpl(t, "spec", "template")
	}
	return nil, nil, nil, false
}

// container is one of a pod's containers, and where it is written.
type container struct {
	*corev1.Container
	field string // containers or initContainers
	index int
}

// podContainers lists a pod's init containers, then its containers.
func podContainers(spec *corev1.PodSpec) []container {
	var out []container
	for i := range spec.InitContainers {
		out = append(out, container{&spec.InitContainers[i], "initContainers", i})
	}
	for i := range spec.Containers {
		out = append(out, container{&spec.Containers[i], "containers", i})
	}
	return out
}

// InputError is a problem with the input itself (syntax, shape, missing
// fields, values the API server refuses). Any input error makes the run
// fail with exit code 2.
type InputError struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"` // 0 when unknown
	Msg  string `json:"message"`
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
