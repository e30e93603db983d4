package e2e

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/asm-ready/asm-ready/tools/e2e/internal/kubeapply"
)

// admitTimeout bounds the wait for the controller manager to create every
// Deployment's Pods.
const admitTimeout = 90 * time.Second

// waitPodsAdmitted waits until every Deployment in ns has all its Pods
// created by the controller manager, which proves the API server admitted
// them (Pod Security enforce included). There is no scheduler or kubelet:
// the Pods stay Pending, and admission is what is checked. A ReplicaSet
// refused by Pod Security fails at once with the API server's message; any
// other refusal (a ServiceAccount not created yet) is retried until the
// deadline, then reported.
func waitPodsAdmitted(ctx context.Context, cs kubernetes.Interface, ns string, want []string) error {
	var pending []string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, admitTimeout, true, func(ctx context.Context) (bool, error) {
		deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		rss, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pending = deploymentsNotAdmitted(deps.Items, rss.Items, pods.Items)
		for _, p := range pending {
			if strings.Contains(p, "violates PodSecurity") {
				return false, &refusedError{p}
			}
		}
		have := map[string]bool{}
		for _, d := range deps.Items {
			have[d.Name] = true
		}
		for _, name := range want {
			if !have[name] {
				pending = append(pending, fmt.Sprintf("Deployment %s/%s: not found", ns, name))
			}
		}
		return len(pending) == 0, nil
	})
	var refused *refusedError
	if errors.As(err, &refused) {
		return err
	}
	if err != nil {
		if len(pending) == 0 {
			return err
		}
		return fmt.Errorf("pods not admitted within %s: %w\n  %s", admitTimeout, err, strings.Join(pending, "\n  "))
	}
	return nil
}

// refusedError is a Pod Security refusal: final, so not waited out.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// deploymentsNotAdmitted returns, for each Deployment whose Pods are not all
// created yet, a line naming it and the reason (the ReplicaSet's
// ReplicaFailure message when there is one).
func deploymentsNotAdmitted(deps []appsv1.Deployment, rss []appsv1.ReplicaSet, pods []corev1.Pod) []string {
	podsOf := map[string]int{} // ReplicaSet UID -> pods
	for _, p := range pods {
		for _, o := range p.OwnerReferences {
			podsOf[string(o.UID)]++
		}
	}
	var out []string
	for _, d := range deps {
		ref := fmt.Sprintf("Deployment %s/%s", d.Namespace, d.Name)
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		var created int32
		var failures []string
		found := false
		for _, rs := range rss {
			if !ownedBy(rs.OwnerReferences, string(d.UID)) {
				continue
			}
			found = true
			created += int32(podsOf[string(rs.UID)])
			for _, c := range rs.Status.Conditions {
				if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
					failures = append(failures, fmt.Sprintf("ReplicaSet %s: %s: %s", rs.Name, c.Reason, c.Message))
				}
			}
		}
		switch {
		case len(failures) > 0:
			out = append(out, fmt.Sprintf("%s: pods refused: %s", ref, strings.Join(failures, "; ")))
		case !found && want > 0:
			out = append(out, ref+": no ReplicaSet yet")
		case created < want:
			out = append(out, fmt.Sprintf("%s: %d of %d pods created", ref, created, want))
		}
	}
	sort.Strings(out)
	return out
}

func ownedBy(refs []metav1.OwnerReference, uid string) bool {
	for _, r := range refs {
		if string(r.UID) == uid {
			return true
		}
	}
	return false
}

// restrictedDeployment is a Deployment that passes the restricted Pod
// Security level; the negative cases break it one way each.
func restrictedDeployment(ns, name string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  replicas: 2
  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
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
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
`, ns, name)
}

func decode(t *testing.T, y string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := kubeapply.Decode([]byte(y))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return objs
}

// TestAdmissionCheck proves waitPodsAdmitted on an inline manifest both
// ways: a restricted Deployment gets its Pods, a privileged one is reported
// with Pod Security's message.
func TestAdmissionCheck(t *testing.T) {
	h := newHarness(t)

	ok := h.namespace("e2e-admit")
	if _, err := h.apply.ApplyAll(h.ctx, decode(t, restrictedDeployment(ok, "web"))); err != nil {
		t.Fatal(err)
	}
	h.noWarnings("apply restricted Deployment")
	if err := waitPodsAdmitted(h.ctx, h.cs, ok, []string{"web"}); err != nil {
		t.Fatal(err)
	}

	bad := h.namespace("e2e-refuse")
	y := strings.Replace(restrictedDeployment(bad, "web"), "          allowPrivilegeEscalation: false\n", "          privileged: true\n", 1)
	// The Deployment itself is accepted (Pod Security judges Pods, and only
	// warns about templates); its Pods must be refused.
	if _, err := h.apply.ApplyAll(h.ctx, decode(t, y)); err != nil {
		t.Fatal(err)
	}
	if w := h.warn.Take(); len(w) == 0 {
		t.Errorf("no Pod Security warning for a privileged pod template in a namespace with warn=restricted")
	} else {
		t.Logf("warned as expected: %s", strings.Join(w, "; "))
	}
	err := waitPodsAdmitted(h.ctx, h.cs, bad, []string{"web"})
	if err == nil || !strings.Contains(err.Error(), "Deployment "+bad+"/web: pods refused") || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Fatalf("privileged Deployment: waitPodsAdmitted = %v, want Pod Security refusal naming the Deployment", err)
	}
	t.Logf("refused as expected: %v", err)

	// A Deployment that never appears: a short deadline, and the report names it.
	short, cancel := context.WithTimeout(h.ctx, 3*time.Second)
	defer cancel()
	err = waitPodsAdmitted(short, h.cs, ok, []string{"web", "missing"})
	if err == nil || !strings.Contains(err.Error(), "Deployment "+ok+"/missing: not found") {
		t.Fatalf("missing Deployment: waitPodsAdmitted = %v, want it named", err)
	}
}

func runtimeToUnstructured(obj any) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}
