// Package schemagen writes kubeconform schemas ("standalone-strict": every
// $ref inlined, additionalProperties false) generated offline from pinned Go
// modules: the Kubernetes API from api/openapi-spec/swagger.json in
// k8s.io/kubernetes, and the Istio, Argo CD and Flux kinds from the CRDs those
// projects ship in their modules. Nothing is hand-written or fetched from the web.
package schemagen

// KubernetesVersions are the APIs every manifest is validated against: the
// oldest and the newest minor the chart's kubeVersion admits, the minors of
// GKE's Extended and Rapid channels. Newest last.
var KubernetesVersions = []string{"1.32.13", "1.37.2"}

// Module is a Go module version to read files from, via `go mod download`.
type Module struct {
	Path, Version string
}

// kubernetesModule carries api/openapi-spec/swagger.json of a release.
func kubernetesModule(version string) Module {
	return Module{"k8s.io/kubernetes", "v" + version}
}

// crdSource is one CRD file inside a module.
type crdSource struct {
	Module Module
	File   string
}

// crdSources are the custom resources the overlays and gitops/ use. Versions
// are the newest that build with this repository's Go version.
var crdSources = []crdSource{
	{Module{"istio.io/api", "v1.32.0"}, "kubernetes/customresourcedefinitions.gen.yaml"},
	{Module{"github.com/argoproj/argo-cd/v3", "v3.5.7"}, "manifests/crds/application-crd.yaml"},
	{Module{"github.com/argoproj/argo-cd/v3", "v3.5.7"}, "manifests/crds/appproject-crd.yaml"},
	{Module{"github.com/fluxcd/source-controller", "v1.9.6"}, "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"},
	{Module{"github.com/fluxcd/kustomize-controller", "v1.9.6"}, "config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"},
}

// Locations are the kubeconform schema-location templates for a directory
// written by Generate: built-in kinds in kubeconform's own layout, CRDs in the
// CRDs-catalog layout (group in the path, so kinds of equal name in different
// groups never collide).
func Locations(dir string) []string {
	return []string{
		dir + "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json",
		dir + "/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
	}
}
