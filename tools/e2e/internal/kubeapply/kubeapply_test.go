package kubeapply

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "two docs", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: web}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n", want: []string{"ConfigMap web/a", "Namespace web"}},
		{name: "empty and comment docs", in: "---\n# nothing\n---\n\n", want: nil},
		{name: "no kind", in: "apiVersion: v1\nmetadata: {name: a}\n", wantErr: "document 1: apiVersion, kind and metadata.name are required"},
		{name: "no name", in: "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", wantErr: "document 2"},
		{name: "bad yaml", in: "a: [\n", wantErr: "document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decode error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, Ref(o))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("Decode = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorNamesObjectAndReason(t *testing.T) {
	u := &unstructured.Unstructured{}
	u.SetKind("Deployment")
	u.SetNamespace("ns")
	u.SetName("web")
	err := objectError(u, apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "web", nil))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("objectError returned %T, want *Error", err)
	}
	for _, want := range []string{"Deployment ns/web", "Invalid", `Deployment.apps "web" is invalid`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !apierrors.IsInvalid(err) {
		t.Errorf("apierrors.IsInvalid(%v) = false; the API status must stay reachable", err)
	}
}

func TestAppliedView(t *testing.T) {
	base := func() *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "namespace": "ns", "resourceVersion": "1", "generation": int64(1)},
			"spec":     map[string]any{"replicas": int64(1)},
			"status":   map[string]any{"replicas": int64(0)},
		}}
		u.SetManagedFields([]metav1.ManagedFieldsEntry{
			{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply},
			{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status"},
		})
		return u
	}
	tests := []struct {
		name   string
		change func(u *unstructured.Unstructured)
		equal  bool
	}{
		{name: "identical", change: func(*unstructured.Unstructured) {}, equal: true},
		{name: "status and resourceVersion moved by a controller", change: func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(1), "status", "replicas")
			u.SetResourceVersion("2")
			u.SetManagedFields(u.GetManagedFields()[:1])
		}, equal: true},
		{name: "spec changed", change: func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(2), "spec", "replicas")
		}},
		{name: "generation bumped", change: func(u *unstructured.Unstructured) { u.SetGeneration(2) }},
		{name: "own managed fields changed", change: func(u *unstructured.Unstructured) {
			u.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := base(), base()
			tt.change(b)
			if got := cmp.Equal(appliedView(a), appliedView(b)); got != tt.equal {
				t.Fatalf("equal = %v, want %v; diff:\n%s", got, tt.equal, cmp.Diff(appliedView(a), appliedView(b)))
			}
		})
	}
}
