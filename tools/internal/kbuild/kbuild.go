// Package kbuild builds a kustomization with kustomize's Go API (krusty) the
// way `kubectl apply -k` and `kubectl kustomize` do: default options with
// the legacy reorder (Namespaces first, then ServiceAccounts, ... workloads),
// which is also the order the kustomize CLI and Argo CD produce. Flux's
// kustomize-controller builds the same objects and orders them itself when
// it applies them, so no overlay sets `sortOptions`: with it, every kubectl
// apply -k would warn that sorting is set twice.
package kbuild

import (
	"fmt"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Build returns the YAML stream `kubectl kustomize dir` prints, with the
// kustomize options of `kubectl apply -k` (k8s.io/cli-runtime's
// KustomizeVisitor).
func Build(dir string) ([]byte, error) {
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionLegacy
	m, err := krusty.MakeKustomizer(o).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return out, nil
}
