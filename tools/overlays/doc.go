// Package overlays holds the repository-level checks of the kustomize
// overlays, skaffold.yaml and gitops/ (see overlays_test.go). They run in
// `make test`: both overlays build with kustomize's Go API and with the pinned
// kustomize CLI, identically; the committed rendered.yaml files match the
// chart; kubeconform -strict accepts every object, custom resources included;
// meshcheck finds nothing; skaffold renders what the overlays build.
package overlays
