//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// TestChartMesh installs the chart with the mesh resources on: accepted by
// the real Istio CRD schemas with no warning, and every pod admitted.
func TestChartMesh(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "e2e-chart-mesh")
	newHelm(t, ns).install(loadChart(t), map[string]any{"mesh": map[string]any{"enabled": true}})
	kinds := map[string]bool{}
	for k := range inventory(t, ns) {
		kinds[strings.SplitN(k, "/", 2)[0]] = true
	}
	for _, k := range []string{"Deployment", "Service", "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy"} {
		if !kinds[k] {
			t.Errorf("the release has no %s; it has %v", k, slices.Sorted(maps.Keys(kinds)))
		}
	}
	waitDeployments(t, ns, false)
}

// TestChartUpgradeRollback upgrades the release with a second helloserver
// version and rolls it back: both succeed with no warning, hellosvc's
// selector never changes (a version label in it would drop traffic to the
// other version), and after the rollback the release's objects are exactly
// those of revision 1, with nothing the removed Deployment owned left behind.
func TestChartUpgradeRollback(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "e2e-upgrade")
	h, ch := newHelm(t, ns), loadChart(t)
	h.install(ch, nil)
	waitDeployments(t, ns, false)
	selector := serviceSelector(t, ns)
	before := inventory(t, ns)

	rel := h.upgrade(ch, false, map[string]any{"helloserver": map[string]any{"versions": []any{
		map[string]any{"name": "v1", "replicas": 1, "weight": 90},
		map[string]any{"name": "v2", "replicas": 1, "weight": 10, "tag": "0.2.0"},
	}}})
	if rel.Version != 2 {
		t.Fatalf("helm upgrade: revision %d, want 2", rel.Version)
	}
	if added := diffKeys(inventory(t, ns), before); len(added) == 0 {
		t.Fatal("the upgrade added no object; want helloserver v2's Deployment")
	} else {
		t.Logf("the upgrade added %v", added)
	}
	waitDeployments(t, ns, false)
	if got := serviceSelector(t, ns); !maps.Equal(got, selector) {
		t.Errorf("hellosvc's selector changed by the upgrade: %v -> %v", selector, got)
	}

	rb := action.NewRollback(h.cfg)
	rb.Version, rb.Timeout = 1, 3*time.Minute
	if err := rb.Run(releaseName); err != nil {
		t.Fatalf("helm rollback to revision 1: %v", err)
	}
	h.noWarnings("helm rollback")
	if got := serviceSelector(t, ns); !maps.Equal(got, selector) {
		t.Errorf("hellosvc's selector changed by the rollback: %v -> %v", selector, got)
	}
	after := inventory(t, ns)
	if extra, missing := diffKeys(after, before), diffKeys(before, after); len(extra)+len(missing) > 0 {
		t.Errorf("objects after the rollback differ from revision 1: left behind %v, missing %v", extra, missing)
	}
	var orphans []string
	err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		orphans = orphaned(t, ns)
		return len(orphans) == 0, nil
	})
	if err != nil {
		t.Errorf("left without their owner after the rollback: %v", orphans)
	}
}

func serviceSelector(t *testing.T, ns string) map[string]string {
	t.Helper()
	svc, err := cs.CoreV1().Services(ns).Get(context.Background(), "hellosvc", metav1.GetOptions{})
	if err != nil || len(svc.Spec.Selector) == 0 {
		t.Fatalf("Service %s/hellosvc: %v, selector %v", ns, err, svc.Spec.Selector)
	}
	return svc.Spec.Selector
}

// released lists every object in ns labelled as the release's, of every
// namespaced kind the API server serves.
func released(t *testing.T, ns string) []unstructured.Unstructured {
	t.Helper()
	// Listing every kind includes deprecated ones (v1 Endpoints): not ours to warn about.
	quiet := rest.CopyConfig(cfg)
	quiet.WarningHandler = rest.NoWarnings{}
	dc, err := discovery.NewDiscoveryClientForConfig(quiet)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(quiet)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var out []unstructured.Unstructured
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !slices.Contains(r.Verbs, "list") || r.Kind == "Event" {
				continue
			}
			got, err := dyn.Resource(gv.WithResource(r.Name)).Namespace(ns).List(context.Background(),
				metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + releaseName})
			if err != nil {
				t.Fatalf("list %s in %s: %v", r.Name, ns, err)
			}
			out = append(out, got.Items...)
		}
	}
	return out
}

// inventory returns what Helm manages in ns (the release's objects without
// an owner) as "Kind/name" -> UID.
func inventory(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, u := range released(t, ns) {
		if len(u.GetOwnerReferences()) == 0 {
			out[u.GetKind()+"/"+u.GetName()] = string(u.GetUID())
		}
	}
	return out
}

// orphaned lists the release's objects whose owner is gone (ReplicaSets and
// pods of a deleted Deployment, until the garbage collector removes them).
func orphaned(t *testing.T, ns string) []string {
	t.Helper()
	objs := released(t, ns)
	uids := map[string]bool{}
	for _, u := range objs {
		uids[string(u.GetUID())] = true
	}
	var out []string
	for _, u := range objs {
		for _, o := range u.GetOwnerReferences() {
			if !uids[string(o.UID)] {
				out = append(out, fmt.Sprintf("%s %s (owner %s %s)", u.GetKind(), u.GetName(), o.Kind, o.Name))
			}
		}
	}
	return out
}

// diffKeys returns the keys of a that b lacks, sorted.
func diffKeys(a, b map[string]string) []string {
	var out []string
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
