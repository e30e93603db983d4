// Package e2e proves that what asm-ready ships is accepted by a real
// Kubernetes API server: the chart installed with the Helm SDK, both
// overlays and the GitOps definitions applied with server-side apply, into
// namespaces that enforce the restricted Pod Security level, with the Istio,
// Argo CD and Flux CRDs installed from their Go modules. kube-apiserver, etcd
// and kube-controller-manager are built by tools/kube/build.sh and started
// through controller-runtime's envtest (see internal/cluster).
//
// Run: tools/kube/build.sh && (cd tools/e2e && GOWORK=off go test ./...)
package e2e
