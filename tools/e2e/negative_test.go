package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/asm-ready/asm-ready/tools/e2e/internal/kubeapply"
)

func restrictedPod(ns string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: probe
  namespace: %s
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: main
    image: ghcr.io/asm-ready/helloserver:0.1.0
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
`, ns)
}

func virtualService(ns string) string {
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: hellosvc
  namespace: %s
spec:
  hosts: [hellosvc]
  http:
  - route:
    - destination: {host: hellosvc, subset: v1}
      weight: 90
    - destination: {host: hellosvc, subset: v2}
      weight: 10
`, ns)
}

// TestRefused proves the suite can fail: each case starts from an object the
// API server accepts (checked with a dry-run create) and breaks it one way;
// the API server must refuse it, with its reason and message naming the
// object, and the message is shown in the test log.
func TestRefused(t *testing.T) {
	h := newHarness(t)
	ns := h.namespace("e2e-negative")

	tests := []struct {
		name       string
		valid      string
		mutate     func(string) string
		wantReason metav1.StatusReason
		wantMsg    string
	}{
		{
			name:  "privileged container in a restricted namespace",
			valid: restrictedPod(ns),
			mutate: func(s string) string {
				return strings.Replace(s, "allowPrivilegeEscalation: false", "privileged: true", 1)
			},
			wantReason: metav1.StatusReasonForbidden,
			wantMsg:    `violates PodSecurity "restricted:latest": privileged`,
		},
		{
			name:       "unknown field spec.replicaz",
			valid:      restrictedDeployment(ns, "typo"),
			mutate:     func(s string) string { return strings.Replace(s, "  replicas: 2\n", "  replicaz: 2\n", 1) },
			wantReason: metav1.StatusReasonBadRequest,
			wantMsg:    `unknown field "spec.replicaz"`,
		},
		{
			name:  "selector does not match the template labels",
			valid: restrictedDeployment(ns, "mismatch"),
			mutate: func(s string) string {
				return strings.Replace(s, "matchLabels: {app: mismatch}", "matchLabels: {app: other}", 1)
			},
			wantReason: metav1.StatusReasonInvalid,
			wantMsg:    "`selector` does not match template `labels`",
		},
		{
			name:       "VirtualService weight as a string",
			valid:      virtualService(ns),
			mutate:     func(s string) string { return strings.Replace(s, "weight: 90", `weight: "90"`, 1) },
			wantReason: metav1.StatusReasonInvalid,
			wantMsg:    "spec.http[0].route[0].weight",
		},
		{
			name:  "VirtualService unknown field",
			valid: virtualService(ns),
			mutate: func(s string) string {
				return strings.Replace(s, "  hosts: [hellosvc]\n", "  hosts: [hellosvc]\n  retriez: {attempts: 3}\n", 1)
			},
			wantReason: metav1.StatusReasonBadRequest,
			wantMsg:    `unknown field "spec.retriez"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := decode(t, tt.valid)[0]
			if _, err := h.apply.Create(h.ctx, good, true); err != nil {
				t.Fatalf("the unbroken object must be accepted: %v", err)
			}
			h.warn.Take()
			broken := tt.mutate(tt.valid)
			if broken == tt.valid {
				t.Fatal("the case did not change the object")
			}
			bad := decode(t, broken)[0]
			_, err := h.apply.Create(h.ctx, bad, true)
			if err == nil {
				t.Fatalf("%s was accepted, want it refused (%s)", kubeapply.Ref(bad), tt.wantReason)
			}
			t.Logf("refused as expected: %v", err)
			var e *kubeapply.Error
			if !errors.As(err, &e) || e.Object != kubeapply.Ref(bad) {
				t.Errorf("error does not name the object %s: %v", kubeapply.Ref(bad), err)
			}
			if got := apierrors.ReasonForError(err); got != tt.wantReason {
				t.Errorf("reason = %s, want %s", got, tt.wantReason)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message does not contain %q: %v", tt.wantMsg, err)
			}
		})
	}
}
