// Package kubeapply applies manifests to an API server with server-side apply
// and strict field validation, and checks that a second apply would change
// nothing. Every error names the object (kind namespace/name) and carries the
// API server's reason and message.
package kubeapply

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// FieldManager owns the fields the suite applies.
const FieldManager = "asm-ready-e2e"

// Decode splits a multi-document YAML stream into objects, skipping empty
// documents. A document without apiVersion, kind or metadata.name is an error.
func Decode(b []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d: apiVersion, kind and metadata.name are required (got %q, %q, %q)", i, u.GetAPIVersion(), u.GetKind(), u.GetName())
		}
		out = append(out, u)
	}
}

// Ref names an object as kubectl does in messages: Kind namespace/name.
func Ref(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", u.GetKind(), ns, u.GetName())
	}
	return fmt.Sprintf("%s %s", u.GetKind(), u.GetName())
}

// Error is a refusal by the API server of one object.
type Error struct {
	Object string // Kind namespace/name
	Reason metav1.StatusReason
	Err    error
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s: refused (%s): %v", e.Object, e.Reason, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Object, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func objectError(u *unstructured.Unstructured, err error) error {
	return &Error{Object: Ref(u), Reason: apierrors.ReasonForError(err), Err: err}
}

// Client applies objects to one API server.
type Client struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// New returns a Client for cfg.
func New(cfg *rest.Config) (*Client, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Resource returns the dynamic client for u's kind, in u's namespace when the
// kind is namespaced. Discovery is refreshed once when the kind is unknown
// (a CRD installed after the Client was made).
func (c *Client) Resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, objectError(u, fmt.Errorf("the API server does not serve %s: %w", gvk, err))
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if u.GetNamespace() == "" {
			return nil, objectError(u, errors.New("namespaced kind without metadata.namespace"))
		}
		return c.dyn.Resource(m.Resource).Namespace(u.GetNamespace()), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

// Apply server-side applies u with strict field validation (unknown or
// duplicate fields are errors, not warnings) and returns the object as the
// API server stored it, or as it would store it when dryRun is set.
func (c *Client) Apply(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	ri, err := c.Resource(u)
	if err != nil {
		return nil, err
	}
	body, err := u.MarshalJSON()
	if err != nil {
		return nil, objectError(u, err)
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager, FieldValidation: metav1.FieldValidationStrict}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, opts)
	if err != nil {
		return nil, objectError(u, err)
	}
	return got, nil
}

// Create creates u (POST, strict field validation), the path Helm and
// `kubectl create` take; with dryRun the API server admits and validates it
// without storing it.
func (c *Client) Create(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	ri, err := c.Resource(u)
	if err != nil {
		return nil, err
	}
	opts := metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := ri.Create(ctx, u, opts)
	if err != nil {
		return nil, objectError(u, err)
	}
	return got, nil
}

// ApplyAll applies every object in order and returns the stored objects; it
// stops at the first refusal.
func (c *Client) ApplyAll(ctx context.Context, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, u := range objs {
		got, err := c.Apply(ctx, u, false)
		if err != nil {
			return out, err
		}
		out = append(out, got)
	}
	return out, nil
}

// Unchanged server-side dry-run applies every object again and returns an
// error listing each object the apply would change, with a diff of the
// stored object against the dry-run result. A no-op apply returns the stored
// object untouched (same generation, same managedFields timestamps). Status,
// resourceVersion and other managers' managedFields entries are left out of
// the comparison, and a difference is re-checked twice: controllers write
// status between the read and the dry run, but a change the apply would make
// persists.
func (c *Client) Unchanged(ctx context.Context, objs []*unstructured.Unstructured) error {
	var changed []string
	for _, u := range objs {
		ri, err := c.Resource(u)
		if err != nil {
			return err
		}
		var d string
		for range 3 {
			live, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
			if err != nil {
				return objectError(u, err)
			}
			dry, err := c.Apply(ctx, u, true)
			if err != nil {
				return err
			}
			if d = cmp.Diff(appliedView(live), appliedView(dry)); d == "" {
				break
			}
		}
		if d != "" {
			changed = append(changed, fmt.Sprintf("%s would change (-stored +dry-run):\n%s", Ref(u), d))
		}
	}
	if len(changed) > 0 {
		return fmt.Errorf("a second server-side apply is not a no-op:\n%s", strings.Join(changed, "\n"))
	}
	return nil
}

// appliedView returns what an apply by FieldManager can change: the object
// without status and resourceVersion, with only FieldManager's managedFields.
func appliedView(u *unstructured.Unstructured) map[string]any {
	c := u.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "status")
	unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
	var mine []metav1.ManagedFieldsEntry
	for _, m := range c.GetManagedFields() {
		if m.Manager == FieldManager {
			mine = append(mine, m)
		}
	}
	c.SetManagedFields(mine)
	return c.Object
}
