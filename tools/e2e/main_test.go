package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/asm-ready/asm-ready/tools/e2e/internal/cluster"
	"github.com/asm-ready/asm-ready/tools/e2e/internal/crds"
	"github.com/asm-ready/asm-ready/tools/e2e/internal/kubeapply"
)

// env is the control plane every test shares; each test works in namespaces
// of its own.
var env *cluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// envtest logs through controller-runtime's logger; its errors come back
	// as return values, so the log itself is not needed.
	ctrllog.SetLogger(logr.Discard())

	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "FAIL e2e: "+format+"\n", args...)
		return 1
	}
	assets, err := cluster.AssetsDir(os.Getenv)
	if err != nil {
		return fail("%v", err)
	}
	// No binaries is a failure, not a skip: a skipped e2e suite reads as a pass.
	if err := cluster.CheckAssets(assets); err != nil {
		return fail("%v", err)
	}
	defs, err := crds.Load(crds.Pinned, crds.ModuleDir)
	if err != nil {
		return fail("load CRDs: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	env, err = cluster.Start(ctx, cluster.Options{AssetsDir: assets, CRDs: defs})
	if err != nil {
		return fail("start control plane: %v", err)
	}
	fmt.Fprintf(os.Stderr, "e2e: kube-apiserver %s, etcd and kube-controller-manager from %s up in %s, %d CRDs installed\n",
		env.Version, assets, time.Since(start).Round(time.Millisecond), len(defs))
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: stop control plane: %v\n", err)
	}
	return code
}

// harness is what one test needs: clients whose API warnings are recorded
// for this test only.
type harness struct {
	t     *testing.T
	ctx   context.Context
	cs    kubernetes.Interface
	apply *kubeapply.Client
	warn  *cluster.Warnings
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg, w := env.ClientConfig()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ap, err := kubeapply.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return &harness{t: t, ctx: ctx, cs: cs, apply: ap, warn: w}
}

// namespace creates a restricted namespace with a unique name and returns it.
func (h *harness) namespace(prefix string) string {
	h.t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	if err := cluster.NewNamespace(h.ctx, h.cs, name); err != nil {
		h.t.Fatalf("create namespace %s: %v", name, err)
	}
	h.waitDefaultServiceAccount(name)
	return name
}

// waitDefaultServiceAccount waits for the controller manager to create the
// namespace's `default` ServiceAccount, without which the ServiceAccount
// admission plugin refuses Pods that use it.
func (h *harness) waitDefaultServiceAccount(ns string) {
	h.t.Helper()
	err := wait.PollUntilContextTimeout(h.ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := h.cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		h.t.Fatalf("ServiceAccount %s/default not created by kube-controller-manager: %v\n%s", ns, err, env.ControllerManagerLogTail(20))
	}
}

// noWarnings fails the test for every API warning recorded so far.
func (h *harness) noWarnings(what string) {
	h.t.Helper()
	for _, w := range h.warn.Take() {
		h.t.Errorf("%s: API server warning: %s", what, w)
	}
}

// repoPath returns a path in the repository (tools/e2e is two levels down).
func repoPath(t *testing.T, elem ...string) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root not found at %s (no go.work): run the suite from tools/e2e", root)
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

func TestControlPlaneVersion(t *testing.T) {
	// Helm's Capabilities.KubeVersion and the chart's kubeVersion constraint
	// read this; a build without the version ldflags reports v0.0.0-master.
	if env.Version != cluster.KubeVersion {
		t.Fatalf("kube-apiserver reports %s, want %s: rebuild with tools/kube/build.sh", env.Version, cluster.KubeVersion)
	}
}
