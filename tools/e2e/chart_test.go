package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

const releaseName = "asm-ready"

// helm returns a Helm SDK action configuration for ns that talks to the
// test API server through a kubeconfig, as the helm CLI does, recording the
// API warnings Helm's requests receive.
func (h *harness) helm(ns string) *action.Configuration {
	h.t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, cacheDir := env.Kubeconfig, h.t.TempDir()
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &kubeconfig, &ns, &cacheDir
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.WarningHandler = h.warn
		return c
	}
	cfg := new(action.Configuration)
	logf := func(format string, v ...any) { h.t.Logf("helm: "+format, v...) }
	if err := cfg.Init(flags, ns, "secret", logf); err != nil {
		h.t.Fatalf("helm init: %v", err)
	}
	return cfg
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	dir := repoPath(t, "charts", "asm-ready")
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("load chart %s: %v", dir, err)
	}
	return ch
}

func (h *harness) install(ch *chart.Chart, ns string, vals map[string]any) *release.Release {
	h.t.Helper()
	in := action.NewInstall(h.helm(ns))
	in.ReleaseName, in.Namespace, in.Timeout = releaseName, ns, 2*time.Minute
	rel, err := in.RunWithContext(h.ctx, ch, vals)
	if err != nil {
		h.t.Fatalf("helm install %s into %s: %v", releaseName, ns, err)
	}
	h.noWarnings("helm install")
	if rel.Info.Status != release.StatusDeployed {
		h.t.Fatalf("helm install: release status %s, want deployed", rel.Info.Status)
	}
	return rel
}

// TestChartInstall installs the chart with the Helm SDK (not client-only:
// every object goes through the API server's validation and admission) into
// restricted namespaces, with its defaults and with the mesh resources on.
func TestChartInstall(t *testing.T) {
	ch := loadChart(t)
	tests := []struct {
		name     string
		vals     map[string]any
		wantKind []string // kinds the release must contain
	}{
		{name: "defaults", wantKind: []string{"Deployment", "Service", "ServiceAccount"}},
		{
			name:     "mesh",
			vals:     map[string]any{"mesh": map[string]any{"enabled": true}},
			wantKind: []string{"Deployment", "Service", "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ns := h.namespace("e2e-chart-" + tt.name)
			h.install(ch, ns, tt.vals)
			inv := h.inventory(ns)
			kinds := map[string]bool{}
			for k := range inv {
				kinds[strings.SplitN(k, "/", 2)[0]] = true
			}
			for _, k := range tt.wantKind {
				if !kinds[k] {
					t.Errorf("release has no %s; it has %v", k, slices.Sorted(maps.Keys(kinds)))
				}
			}
			if err := waitPodsAdmitted(h.ctx, h.cs, ns, []string{"helloserver", "loadgenerator"}); err != nil {
				t.Fatal(err)
			}
			h.noWarnings("pods")
		})
	}
}

// TestChartUpgradeRollback upgrades the release with a second helloserver
// version and rolls it back: both succeed, hellosvc's selector never changes
// (a version label in it would drop traffic to the other version) and the
// objects after the rollback are exactly those before the upgrade, with no
// dependent left behind by the removed Deployment.
func TestChartUpgradeRollback(t *testing.T) {
	h := newHarness(t)
	ch := loadChart(t)
	ns := h.namespace("e2e-upgrade")
	h.install(ch, ns, nil)
	if err := waitPodsAdmitted(h.ctx, h.cs, ns, []string{"helloserver", "loadgenerator"}); err != nil {
		t.Fatal(err)
	}
	selector := h.serviceSelector(ns, "hellosvc")
	before := h.inventory(ns)

	up := action.NewUpgrade(h.helm(ns))
	up.Namespace, up.Timeout = ns, 2*time.Minute
	twoVersions := map[string]any{"helloserver": map[string]any{"versions": []any{
		map[string]any{"name": "v1", "replicas": 1, "weight": 90},
		map[string]any{"name": "v2", "replicas": 1, "weight": 10, "tag": "0.2.0"},
	}}}
	rel, err := up.RunWithContext(h.ctx, releaseName, ch, twoVersions)
	if err != nil {
		t.Fatalf("helm upgrade with helloserver v2: %v", err)
	}
	h.noWarnings("helm upgrade")
	if rel.Version != 2 || rel.Info.Status != release.StatusDeployed {
		t.Fatalf("helm upgrade: revision %d status %s, want 2 deployed", rel.Version, rel.Info.Status)
	}
	upgraded := h.inventory(ns)
	added := diffKeys(upgraded, before)
	if len(added) == 0 {
		t.Fatalf("the upgrade added no object; want helloserver v2's Deployment")
	}
	t.Logf("upgrade added %v", added)
	if err := waitPodsAdmitted(h.ctx, h.cs, ns, nil); err != nil {
		t.Fatal(err)
	}
	if got := h.serviceSelector(ns, "hellosvc"); !maps.Equal(got, selector) {
		t.Errorf("hellosvc selector changed by the upgrade: %v -> %v", selector, got)
	}

	rb := action.NewRollback(h.helm(ns))
	rb.Version, rb.Timeout = 1, 2*time.Minute
	if err := rb.Run(releaseName); err != nil {
		t.Fatalf("helm rollback to revision 1: %v", err)
	}
	h.noWarnings("helm rollback")
	if got := h.serviceSelector(ns, "hellosvc"); !maps.Equal(got, selector) {
		t.Errorf("hellosvc selector changed by the rollback: %v -> %v", selector, got)
	}
	after := h.inventory(ns)
	if extra, missing := diffKeys(after, before), diffKeys(before, after); len(extra)+len(missing) > 0 {
		t.Errorf("objects after rollback differ from revision 1: left behind %v, missing %v", extra, missing)
	}
	h.noOrphans(ns)
}

func (h *harness) serviceSelector(ns, name string) map[string]string {
	h.t.Helper()
	svc, err := h.cs.CoreV1().Services(ns).Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatalf("Service %s/%s: %v", ns, name, err)
	}
	if len(svc.Spec.Selector) == 0 {
		h.t.Fatalf("Service %s/%s has no selector", ns, name)
	}
	return svc.Spec.Selector
}

// inventory returns the release's own objects in ns (those labelled
// app.kubernetes.io/instance=<release> with no owner: what Helm manages) as
// "Kind/name" -> UID, listing every namespaced resource the API serves.
func (h *harness) inventory(ns string) map[string]string {
	h.t.Helper()
	out := map[string]string{}
	for _, u := range h.listLabelled(ns) {
		if len(u.GetOwnerReferences()) == 0 {
			out[u.GetKind()+"/"+u.GetName()] = string(u.GetUID())
		}
	}
	return out
}

func (h *harness) listLabelled(ns string) []unstructured.Unstructured {
	h.t.Helper()
	cfg, _ := env.ClientConfig()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil {
		h.t.Fatalf("discovery: %v", err)
	}
	var out []unstructured.Unstructured
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !slices.Contains(r.Verbs, "list") || r.Kind == "Event" {
				continue
			}
			got, err := dyn.Resource(gv.WithResource(r.Name)).Namespace(ns).List(h.ctx, metav1.ListOptions{
				LabelSelector: "app.kubernetes.io/instance=" + releaseName,
			})
			if err != nil {
				h.t.Fatalf("list %s in %s: %v", r.Name, ns, err)
			}
			out = append(out, got.Items...)
		}
	}
	return out
}

// noOrphans waits (bounded) until every labelled object with an owner has
// that owner present: the garbage collector has removed what a deleted
// Deployment left (ReplicaSets, Pods).
func (h *harness) noOrphans(ns string) {
	h.t.Helper()
	var orphans []string
	err := wait.PollUntilContextTimeout(h.ctx, 250*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		objs := h.listLabelled(ns)
		uids := map[string]bool{}
		for _, u := range objs {
			uids[string(u.GetUID())] = true
		}
		orphans = orphans[:0]
		for _, u := range objs {
			for _, o := range u.GetOwnerReferences() {
				if !uids[string(o.UID)] {
					orphans = append(orphans, fmt.Sprintf("%s %s/%s (owner %s %s gone)", u.GetKind(), ns, u.GetName(), o.Kind, o.Name))
				}
			}
		}
		return len(orphans) == 0, nil
	})
	if err != nil {
		sort.Strings(orphans)
		h.t.Errorf("objects orphaned after rollback: %v (%v)", orphans, err)
	}
}

// diffKeys returns the keys of a that b lacks, sorted.
func diffKeys(a, b map[string]string) []string {
	var out []string
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
