package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/asm-ready/asm-ready/tools/e2e/internal/cluster"
	"github.com/asm-ready/asm-ready/tools/e2e/internal/kubeapply"
)

// buildOverlay runs kustomize (its Go API, default options: what
// `kustomize build` and Argo CD / Flux do) over a temporary kustomization
// that takes the overlay as its only resource and sets the namespace, so
// each overlay lands in a fresh restricted namespace of its own.
func buildOverlay(t *testing.T, overlay, ns string) []*unstructured.Unstructured {
	t.Helper()
	wrap := t.TempDir()
	// kustomize takes no absolute path as a resource.
	rel, err := filepath.Rel(wrap, overlay)
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s\nresources:\n- %s\n", ns, filepath.ToSlash(rel))
	if err := os.WriteFile(filepath.Join(wrap, "kustomization.yaml"), []byte(k), 0o600); err != nil {
		t.Fatal(err)
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), wrap)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	y, err := rm.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	objs, err := kubeapply.Decode(y)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	return objs
}

// applyRank orders objects as Helm installs them: what Pods depend on
// (ServiceAccounts, ConfigMaps) before the workloads, so no Pod is refused
// for a ServiceAccount that is one request away.
func applyRank(kind string) int {
	order := []string{"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "ServiceAccount", "Secret", "ConfigMap", "Role", "RoleBinding", "Service"}
	if i := slices.Index(order, kind); i >= 0 {
		return i
	}
	if kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "Job" || kind == "Pod" {
		return len(order) + 2
	}
	return len(order) + 1
}

func sortForApply(objs []*unstructured.Unstructured) {
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		return applyRank(a.GetKind()) - applyRank(b.GetKind())
	})
}

// TestOverlays builds every overlays/*/kustomization.yaml with kustomize's
// Go API and server-side applies it (strict field validation) into a
// restricted namespace: no refusal, no warning, every Deployment's Pods
// admitted, and a second server-side (dry-run) apply changes nothing.
func TestOverlays(t *testing.T) {
	found, err := filepath.Glob(repoPath(t, "overlays", "*", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatalf("no overlays/*/kustomization.yaml under %s: the overlays (local, gke) are part of what this suite proves", repoPath(t, "overlays"))
	}
	for _, k := range found {
		dir := filepath.Dir(k)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			h := newHarness(t)
			ns := h.namespace("e2e-overlay-" + filepath.Base(dir))
			objs := buildOverlay(t, dir, ns)
			sortForApply(objs)
			var deployments, refs []string
			for _, u := range objs {
				refs = append(refs, kubeapply.Ref(u))
				if u.GetKind() == "Deployment" {
					deployments = append(deployments, u.GetName())
				}
			}
			if len(deployments) == 0 {
				t.Fatalf("overlay %s renders no Deployment", dir)
			}
			if _, err := h.apply.ApplyAll(h.ctx, objs); err != nil {
				t.Fatal(err)
			}
			t.Logf("server-side applied %d objects: %s", len(objs), strings.Join(refs, ", "))
			h.noWarnings("server-side apply")
			h.checkRestricted(ns)
			if err := waitPodsAdmitted(h.ctx, h.cs, ns, deployments); err != nil {
				t.Fatal(err)
			}
			if err := h.apply.Unchanged(h.ctx, objs); err != nil {
				t.Fatal(err)
			}
			h.noWarnings("second server-side apply (dry run)")
		})
	}
}

// checkRestricted fails unless ns still enforces the restricted level (an
// overlay that ships its Namespace must keep the labels).
func (h *harness) checkRestricted(ns string) {
	h.t.Helper()
	got, err := h.cs.CoreV1().Namespaces().Get(h.ctx, ns, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range cluster.RestrictedLabels() {
		if got.Labels[k] != v {
			h.t.Errorf("Namespace %s: label %s=%q, want %q", ns, k, got.Labels[k], v)
		}
	}
}

// TestIdempotenceCheck proves Unchanged can fail: after applying an object,
// a changed copy must be reported as a change, naming the object.
func TestIdempotenceCheck(t *testing.T) {
	h := newHarness(t)
	ns := h.namespace("e2e-idem")
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: ns}, Data: map[string]string{"k": "1"}}
	raw, err := runtimeToUnstructured(cm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.apply.ApplyAll(h.ctx, []*unstructured.Unstructured{raw}); err != nil {
		t.Fatal(err)
	}
	if err := h.apply.Unchanged(h.ctx, []*unstructured.Unstructured{raw}); err != nil {
		t.Fatalf("same object: %v", err)
	}
	changed := raw.DeepCopy()
	if err := unstructured.SetNestedField(changed.Object, "2", "data", "k"); err != nil {
		t.Fatal(err)
	}
	err = h.apply.Unchanged(h.ctx, []*unstructured.Unstructured{changed})
	if err == nil {
		t.Fatal("a changed ConfigMap was reported unchanged")
	}
	t.Logf("reported as expected: %v", err)
}
