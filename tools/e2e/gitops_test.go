package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/asm-ready/asm-ready/tools/e2e/internal/cluster"
	"github.com/asm-ready/asm-ready/tools/e2e/internal/kubeapply"
)

// gitopsObjects reads every YAML document under gitops/, leaving out
// kustomize's own kustomization files (build input, not cluster objects).
func gitopsObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	root := repoPath(t, "gitops")
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("no %s: the Argo CD Application and the Flux GitRepository and Kustomization are part of what this suite proves", root)
	}
	var objs []*unstructured.Unstructured
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := kubeapply.Decode(b)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		for _, u := range got {
			if strings.HasPrefix(u.GetAPIVersion(), "kustomize.config.k8s.io/") {
				continue
			}
			objs = append(objs, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestGitOps applies the GitOps definitions (Argo CD Application, Flux
// GitRepository and Kustomization) with server-side apply against the real
// CRD schemas: accepted with no warning, and a second apply changes nothing.
func TestGitOps(t *testing.T) {
	h := newHarness(t)
	objs := gitopsObjects(t)
	kinds := map[string]bool{}
	for _, u := range objs {
		kinds[u.GroupVersionKind().GroupKind().String()] = true
	}
	for _, want := range []string{"Application.argoproj.io", "GitRepository.source.toolkit.fluxcd.io", "Kustomization.kustomize.toolkit.fluxcd.io"} {
		if !kinds[want] {
			t.Errorf("gitops/ defines no %s", want)
		}
	}
	// The controllers' namespaces (argocd, flux-system) are the platform's;
	// create them when the definitions do not.
	shipped := map[string]bool{}
	for _, u := range objs {
		if u.GetKind() == "Namespace" {
			shipped[u.GetName()] = true
		}
	}
	for _, u := range objs {
		if ns := u.GetNamespace(); ns != "" && !shipped[ns] {
			if err := cluster.NewNamespace(h.ctx, h.cs, ns); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("create namespace %s: %v", ns, err)
			}
		}
	}
	sortForApply(objs)
	if _, err := h.apply.ApplyAll(h.ctx, objs); err != nil {
		t.Fatal(err)
	}
	h.noWarnings("server-side apply of gitops/")
	if err := h.apply.Unchanged(h.ctx, objs); err != nil {
		t.Fatal(err)
	}
	h.noWarnings("second server-side apply of gitops/ (dry run)")
}
