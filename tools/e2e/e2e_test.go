//go:build e2e

// Package e2e proves on a real cluster, any that KUBECONFIG names (`make
// test` runs it on the local test node, tools/cluster; GitHub's e2e.yaml on
// kind), that what asm-ready ships works the way a user deploys it. Both
// service images must already be on the cluster's node under the names
// overlays/local and the chart use. See README.md.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

var (
	repo string       // the repository root
	cfg  *rest.Config // from KUBECONFIG (or ~/.kube/config), as kubectl reads it
	cs   kubernetes.Interface
)

// crds are the custom resources the overlays, the chart's mesh resources and
// gitops/ use, read from the Go modules their projects publish (the same pins
// as tools/overlays' schemas). They are installed when the cluster lacks them.
var crds = []struct{ module, file string }{
	{"istio.io/api@v1.32.0", "kubernetes/customresourcedefinitions.gen.yaml"},
	{"github.com/argoproj/argo-cd/v3@v3.5.7", "manifests/crds/application-crd.yaml"},
	{"github.com/argoproj/argo-cd/v3@v3.5.7", "manifests/crds/appproject-crd.yaml"},
	{"github.com/fluxcd/source-controller@v1.9.6", "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"},
	{"github.com/fluxcd/kustomize-controller@v1.9.6", "config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"},
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "FAIL e2e:", err)
		return 1
	}
	var err error
	if repo, err = filepath.Abs("../.."); err != nil {
		return fail(err)
	}
	cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return fail(fmt.Errorf("no cluster to test: %w (set KUBECONFIG, or run `make test` for the local test node)", err))
	}
	if cs, err = kubernetes.NewForConfig(cfg); err != nil {
		return fail(err)
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		return fail(fmt.Errorf("kubectl: %w (the e2e runs what users run; `make test` puts the test node's on PATH)", err))
	}
	// kubectl's discovery cache goes to a directory of this run, not $HOME.
	cache, err := os.MkdirTemp("", "asm-ready-e2e-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(cache)
	os.Setenv("KUBECACHEDIR", cache)
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return fail(fmt.Errorf("reach the API server at %s: %w", cfg.Host, err))
	}
	fmt.Fprintf(os.Stderr, "e2e: Kubernetes %s at %s\n", v.GitVersion, cfg.Host)
	if err := installCRDs(); err != nil {
		return fail(err)
	}
	return m.Run()
}

// installCRDs server-side applies the pinned CRDs (downloaded through the go
// command, checksum-verified) and waits until the API server serves them.
func installCRDs() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ax, err := apiextensions.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, c := range crds {
		cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", c.module)
		cmd.Dir, cmd.Env = os.TempDir(), append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		out, err := cmd.Output()
		var mod struct{ Dir, Error string }
		if err != nil || json.Unmarshal(out, &mod) != nil || mod.Error != "" {
			return fmt.Errorf("go mod download %s: %v %s", c.module, err, mod.Error)
		}
		args := []string{"apply", "--server-side", "--field-manager=asm-ready-e2e", "-o", "name", "-f", filepath.Join(mod.Dir, c.file)}
		applied, stderr, err := runKubectl(ctx, "", args...)
		if err != nil {
			return fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, stderr)
		}
		for _, name := range strings.Fields(applied) {
			if err := waitEstablished(ctx, ax, strings.TrimPrefix(name, "customresourcedefinition.apiextensions.k8s.io/")); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitEstablished waits until the API server serves the CRD's resource.
// Not `kubectl wait --for=condition=Established`: that fails, instead of
// waiting, when it reads a new CRD before its first status is written.
func waitEstablished(ctx context.Context, ax apiextensions.Interface, name string) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		crd, err := ax.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return apihelpers.IsCRDConditionTrue(crd, apiextensionsv1.Established), nil
	})
	if err != nil {
		return fmt.Errorf("CustomResourceDefinition %s not Established: %w", name, err)
	}
	return nil
}

// runKubectl runs kubectl with args, stdin fed to it when not empty.
func runKubectl(ctx context.Context, stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// kubectl runs kubectl as a user would and returns its output. Anything on
// stderr fails the test: that is where kubectl prints the API server's
// warnings (deprecations, unknown fields, Pod Security) and kustomize's.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, stderr, err := runKubectl(ctx, "", args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if stderr != "" {
		t.Errorf("kubectl %s printed on stderr:\n%s", strings.Join(args, " "), stderr)
	}
	return out
}

// restricted are the labels of a namespace that enforces the restricted Pod
// Security level, and warns and audits at it.
var restricted = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
	"pod-security.kubernetes.io/audit":   "restricted",
}

// namespace creates a restricted namespace named prefix-<random>, deleted
// when the test passes (kept for a look when it fails), and waits for its default ServiceAccount (without it
// the API server refuses pods).
func namespace(t *testing.T, prefix string) string {
	t.Helper()
	ctx := context.Background()
	name := prefix + "-" + rand.String(5)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: restricted}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteAfter(t, name)
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s has no default ServiceAccount: %v", name, err)
	}
	return name
}

// deleteAfter deletes namespace ns when t passes.
func deleteAfter(t *testing.T, ns string) {
	t.Cleanup(func() {
		if !t.Failed() {
			_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		}
	})
}

// checkRestricted fails unless namespace ns enforces Pod Security restricted.
func checkRestricted(t *testing.T, ns string) {
	t.Helper()
	got, err := cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range restricted {
		if got.Labels[k] != v {
			t.Errorf("namespace %s: label %s=%q, want %q", ns, k, got.Labels[k], v)
		}
	}
}

// waitDeployments waits until every Deployment in ns has all its pods:
// created, which proves the API server admitted them (Pod Security
// included), or, with ready, also rolled out with every pod Ready and no old
// pod still terminating.
func waitDeployments(t *testing.T, ns string, ready bool) {
	t.Helper()
	if err := deploymentsDone(context.Background(), ns, ready, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
}

// deploymentsDone is waitDeployments' check; a refusal ends it at once with
// the API server's reason.
func deploymentsDone(ctx context.Context, ns string, ready bool, timeout time.Duration) error {
	var pending []string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pending = nil
		if len(deps.Items) == 0 {
			pending = append(pending, "no Deployment")
		}
		for _, d := range deps.Items {
			for _, c := range d.Status.Conditions {
				if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
					return false, fmt.Errorf("Deployment %s/%s: pods refused: %s", ns, d.Name, c.Message)
				}
			}
			want, s := ptr.Deref(d.Spec.Replicas, 1), d.Status
			switch {
			case s.ObservedGeneration < d.Generation || s.Replicas < want:
				pending = append(pending, fmt.Sprintf("Deployment %s: %d of %d pods created", d.Name, s.Replicas, want))
			case ready && (s.UpdatedReplicas != want || s.ReadyReplicas != want || s.Replicas != want):
				pending = append(pending, fmt.Sprintf("Deployment %s: %d of %d pods updated and Ready", d.Name, min(s.UpdatedReplicas, s.ReadyReplicas), want))
			}
		}
		for _, p := range pods.Items {
			if ready && p.DeletionTimestamp != nil {
				pending = append(pending, "pod "+p.Name+" terminating")
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s: %w\n  %s", ns, err, strings.Join(pending, "\n  "))
	}
	return nil
}
