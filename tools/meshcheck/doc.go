// Package meshcheck checks rendered Kubernetes manifests for Istio / Cloud
// Service Mesh readiness.
//
// It is the library behind the meshcheck CLI: Load or Parse reads manifests
// into Objects (each remembering its file, line and Helm source template),
// Check runs the rules in Rules over them and returns a Report. The format
// package renders a Report as text, JSON, GitHub annotations or SARIF.
//
// The rules follow the project's mesh requirements (Istio's protocol
// selection, workload and namespace rules) and go further than
// `istioctl analyze` on purpose: they run on plain files, compare resolved
// protocols, check every workload kind and fail closed.
package meshcheck
