// Package meshcheck checks rendered Kubernetes manifests for Istio / Cloud
// Service Mesh readiness.
//
// It is the library behind the meshcheck CLI: Load or Parse reads manifests
// into Objects (each remembering its file, line and Helm source template),
// Check runs the rules in Rules over them and returns a Report. The format
// package renders a Report as text, JSON, GitHub annotations or SARIF.
//
// Where a rule shares a check with `istioctl analyze` or Istio's injector,
// it gives Istio's verdict (or says in Rule.VsIstio why not); beyond that
// the rules follow the project's mesh requirements: they run on plain
// files, check every workload kind and fail closed.
package meshcheck
