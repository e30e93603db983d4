//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ssa are kubectl's arguments for a server-side apply (or diff) by the e2e.
var ssa = []string{"--server-side", "--field-manager=asm-ready-e2e"}

// unchanged reports whether a second server-side apply of what args name
// (-k DIR or -f FILE) would change nothing: `kubectl diff` exits 0. A
// difference is checked again twice, since controllers write status between
// diff's read and its dry run; a change the apply would make persists.
func unchanged(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, stderr string
	var err error
	for range 3 {
		if out, stderr, err = runKubectl(ctx, "", append(append([]string{"diff"}, ssa...), args...)...); err == nil {
			return nil
		}
	}
	if e := (*exec.ExitError)(nil); errors.As(err, &e) && e.ExitCode() == 1 {
		return fmt.Errorf("a second server-side apply of %s would change it:\n%s", strings.Join(args, " "), out)
	}
	return fmt.Errorf("kubectl diff %s: %v: %s", strings.Join(args, " "), err, stderr)
}

// TestOverlays server-side applies every overlays/*/ (kustomize built by
// kubectl, strict field validation) into a fresh restricted namespace of its
// own: no refusal, no warning, the namespace still restricted, every pod
// admitted, and a second apply changes nothing.
func TestOverlays(t *testing.T) {
	t.Parallel()
	found, err := filepath.Glob(repo + "/overlays/*/kustomization.yaml")
	if err != nil || len(found) == 0 {
		t.Fatalf("no overlays/*/kustomization.yaml: %v", err)
	}
	for _, k := range found {
		overlay := filepath.Dir(k)
		t.Run(filepath.Base(overlay), func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, "e2e-overlay-"+filepath.Base(overlay))
			// A kustomization over the overlay that only sets the namespace
			// (kustomize renames the overlay's own Namespace to it).
			wrap := t.TempDir()
			rel, err := filepath.Rel(wrap, overlay)
			if err != nil {
				t.Fatal(err)
			}
			k := fmt.Sprintf("kind: Kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\nnamespace: %s\nresources: [%s]\n", ns, rel)
			if err := os.WriteFile(filepath.Join(wrap, "kustomization.yaml"), []byte(k), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Logf("server-side applied:\n%s", kubectl(t, append(append([]string{"apply"}, ssa...), "-k", wrap)...))
			checkRestricted(t, ns)
			waitDeployments(t, ns, false)
			if err := unchanged("-k", wrap); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestGitOps server-side applies gitops/ (the Argo CD Application, the Flux
// GitRepository and Kustomization) against the real CRD schemas: accepted
// with no warning, and a second apply changes nothing.
func TestGitOps(t *testing.T) {
	t.Parallel()
	// The controllers' namespaces are the platform's, not in gitops/.
	for _, ns := range []string{"argocd", "flux-system"} {
		_, err := cs.CoreV1().Namespaces().Create(context.Background(),
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: restricted}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	out := kubectl(t, append(append([]string{"apply"}, ssa...), "-R", "-f", repo+"/gitops")...)
	for _, want := range []string{"application.argoproj.io/asm-ready", "gitrepository.source.toolkit.fluxcd.io/asm-ready", "kustomization.kustomize.toolkit.fluxcd.io/asm-ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("gitops/ applied no %s:\n%s", want, out)
		}
	}
	if err := unchanged("-R", "-f", repo+"/gitops"); err != nil {
		t.Error(err)
	}
}

// restrictedPod passes Pod Security restricted; the cases below break it.
const restrictedPod = `apiVersion: v1
kind: Pod
metadata: {name: probe}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ghcr.io/asm-ready/helloserver:0.1.0
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: main
        image: ghcr.io/asm-ready/helloserver:0.1.0
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`

const virtualService = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hellosvc}
spec:
  hosts: [hellosvc]
  http:
  - route:
    - destination: {host: hellosvc, subset: v1}
      weight: 90
    - destination: {host: hellosvc, subset: v2}
      weight: 10
`

// TestRefused proves the API server's checks reach this suite: each object
// is first accepted (`kubectl create --dry-run=server`), then broken one way
// and refused with the API server's reason naming the problem.
func TestRefused(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "e2e-refused")
	tests := []struct {
		name, valid, old, new, want string
	}{
		{"privileged container", restrictedPod, "allowPrivilegeEscalation: false", "privileged: true", `violates PodSecurity "restricted:latest": privileged`},
		{"unknown field", deployment, "  replicas: 2", "  replicaz: 2", `unknown field "spec.replicaz"`},
		{"selector missing the template labels", deployment, "matchLabels: {app: web}", "matchLabels: {app: other}", "`selector` does not match template `labels`"},
		{"VirtualService weight as a string", virtualService, "weight: 90", `weight: "90"`, "spec.http[0].route[0].weight"},
		{"VirtualService unknown field", virtualService, "  hosts: [hellosvc]", "  hosts: [hellosvc]\n  retriez: {attempts: 3}", `unknown field "spec.retriez"`},
	}
	create := func(manifest string) (string, error) {
		_, stderr, err := runKubectl(context.Background(), manifest, "-n", ns, "create", "--dry-run=server", "--validate=strict", "-f", "-")
		return stderr, err
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if stderr, err := create(tt.valid); err != nil || stderr != "" {
				t.Fatalf("the unbroken object must be accepted without warning: %v %s", err, stderr)
			}
			broken := strings.Replace(tt.valid, tt.old, tt.new, 1)
			if broken == tt.valid {
				t.Fatal("the case did not change the object")
			}
			stderr, err := create(broken)
			if err == nil {
				t.Fatalf("accepted, want refused with %q", tt.want)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("refused, but not with %q: %s", tt.want, stderr)
			}
			t.Logf("refused as expected: %s", strings.TrimSpace(stderr))
		})
	}
}

// TestChecksCanFail proves the suite's own checks fail when they should: a
// privileged Deployment in a restricted namespace is warned about on apply
// and its pods are reported refused; a changed object is reported by
// unchanged; and /proc lines of a root, capable, writable container fail
// every check made from the node.
func TestChecksCanFail(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "e2e-checks")
	privileged := strings.Replace(deployment, "allowPrivilegeEscalation: false", "privileged: true", 1)
	if _, stderr, err := runKubectl(context.Background(), privileged, "-n", ns, "apply", "-f", "-"); err != nil || !strings.Contains(stderr, "Warning: would violate PodSecurity") {
		t.Errorf("privileged Deployment: want a Pod Security warning on stderr, got %v: %q", err, stderr)
	}
	if err := deploymentsDone(context.Background(), ns, false, time.Minute); err == nil || !strings.Contains(err.Error(), "pods refused") {
		t.Errorf("privileged Deployment: want its pods reported refused, got %v", err)
	}

	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: " + ns + "}\ndata: {k: \"1\"}\n"
	file := filepath.Join(t.TempDir(), "cm.yaml")
	for i, data := range []string{cm, strings.Replace(cm, `"1"`, `"2"`, 1)} {
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			kubectl(t, append(append([]string{"apply"}, ssa...), "-f", file)...)
			if err := unchanged("-f", file); err != nil {
				t.Errorf("the applied ConfigMap: %v", err)
			}
		} else if err := unchanged("-f", file); err == nil || !strings.Contains(err.Error(), `k: "2"`) {
			t.Errorf("a changed ConfigMap: want its change reported, got %v", err)
		}
	}

	root := "Uid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\nNoNewPrivs:\t0\nRoot: rw,relatime\n"
	for _, c := range fromNode {
		if c.re.MatchString(root) {
			t.Errorf("a root container passes %q", c.what)
		}
	}
}
