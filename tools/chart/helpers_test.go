package chart_test

import (
	"bufio"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	helmchart "helm.sh/helm/v3/pkg/chart"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/asm-ready/asm-ready/tools/internal/render"
)

const (
	chartDir  = "../../charts/asm-ready"
	namespace = "asm-ready"
)

var (
	loadOnce  sync.Once
	loaded    *helmchart.Chart
	loadError error
)

// theChart loads the chart once per test binary; Render never mutates it.
func theChart(t testing.TB) *helmchart.Chart {
	t.Helper()
	loadOnce.Do(func() { loaded, loadError = render.LoadChart(chartDir) })
	if loadError != nil {
		t.Fatal(loadError)
	}
	return loaded
}

// vals parses a YAML snippet into a values map.
func vals(t testing.TB, y string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatalf("bad test values %q: %v", y, err)
	}
	return m
}

func renderValues(t testing.TB, y string) *render.Result {
	t.Helper()
	res, err := render.Render(theChart(t), vals(t, y), render.Options{Namespace: namespace})
	if err != nil {
		t.Fatalf("render with values %q: %v", y, err)
	}
	return res
}

// objects is a decoded render: typed objects for built-in kinds,
// unstructured for the Istio kinds the client-go scheme does not know.
type objects struct {
	all []runtime.Object
}

func decode(t testing.TB, manifest string) objects {
	t.Helper()
	objs, err := decodeManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func decodeManifest(manifest string) (objects, error) {
	var out objects
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	dec := scheme.Codecs.UniversalDeserializer()
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if strings.TrimSpace(stripComments(string(doc))) == "" {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if runtime.IsNotRegisteredError(err) {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc, &u.Object); err != nil {
				return out, err
			}
			obj = u
		} else if err != nil {
			return out, err
		}
		out.all = append(out.all, obj)
	}
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// kindNames lists "Kind/name" of every object, in render order.
func (o objects) kindNames() []string {
	var out []string
	for _, obj := range o.all {
		out = append(out, kindOf(obj)+"/"+nameOf(obj))
	}
	return out
}

func kindOf(obj runtime.Object) string {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u.GetKind()
	}
	kinds, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil || len(kinds) == 0 {
		return "?"
	}
	return kinds[0].Kind
}

func nameOf(obj runtime.Object) string {
	if m, ok := obj.(interface{ GetName() string }); ok {
		return m.GetName()
	}
	return "?"
}

func (o objects) deployments() []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, obj := range o.all {
		if d, ok := obj.(*appsv1.Deployment); ok {
			out = append(out, d)
		}
	}
	return out
}

func (o objects) services() []*corev1.Service {
	var out []*corev1.Service
	for _, obj := range o.all {
		if s, ok := obj.(*corev1.Service); ok {
			out = append(out, s)
		}
	}
	return out
}

func (o objects) deployment(t testing.TB, name string) *appsv1.Deployment {
	t.Helper()
	for _, d := range o.deployments() {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no Deployment %q in %v", name, o.kindNames())
	return nil
}

func (o objects) service(t testing.TB, name string) *corev1.Service {
	t.Helper()
	for _, s := range o.services() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no Service %q in %v", name, o.kindNames())
	return nil
}

func (o objects) ofKind(kind string) []runtime.Object {
	var out []runtime.Object
	for _, obj := range o.all {
		if kindOf(obj) == kind {
			out = append(out, obj)
		}
	}
	return out
}

func (o objects) unstructured(t testing.TB, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, obj := range o.ofKind(kind) {
		if u, ok := obj.(*unstructured.Unstructured); ok && u.GetName() == name {
			return u
		}
	}
	t.Fatalf("no %s %q in %v", kind, name, o.kindNames())
	return nil
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func chartPath(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
