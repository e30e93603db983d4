//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// releaseName is the README's: helm install asm-ready charts/asm-ready.
const releaseName = "asm-ready"

// helmClient is the Helm SDK set up as the helm CLI sets itself up (the
// kubeconfig from KUBECONFIG, releases in Secrets), for one namespace; the
// API server's warnings to Helm's requests are collected in warnings.
type helmClient struct {
	t        *testing.T
	ns       string
	cfg      *action.Configuration
	warnings bytes.Buffer
}

func newHelm(t *testing.T, ns string) *helmClient {
	t.Helper()
	h := &helmClient{t: t, ns: ns, cfg: new(action.Configuration)}
	flags := genericclioptions.NewConfigFlags(false)
	cache := t.TempDir()
	flags.Namespace, flags.CacheDir = &ns, &cache
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.WarningHandler = rest.NewWarningWriter(&h.warnings, rest.WarningWriterOptions{})
		return c
	}
	if err := h.cfg.Init(flags, ns, "secret", func(string, ...any) {}); err != nil {
		t.Fatalf("helm: %v", err)
	}
	return h
}

// noWarnings fails the test for every API warning Helm received so far.
func (h *helmClient) noWarnings(what string) {
	h.t.Helper()
	if h.warnings.Len() > 0 {
		h.t.Errorf("%s: API server warnings:\n%s", what, h.warnings.String())
		h.warnings.Reset()
	}
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(repo + "/charts/asm-ready")
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// install is `helm install asm-ready charts/asm-ready -n NS` with vals.
func (h *helmClient) install(ch *chart.Chart, vals map[string]any) *release.Release {
	h.t.Helper()
	in := action.NewInstall(h.cfg)
	in.ReleaseName, in.Namespace, in.Timeout = releaseName, h.ns, 3*time.Minute
	rel, err := in.RunWithContext(context.Background(), ch, vals)
	if err != nil {
		h.t.Fatalf("helm install %s into %s: %v", releaseName, h.ns, err)
	}
	h.noWarnings("helm install")
	return rel
}

// upgrade is `helm upgrade asm-ready charts/asm-ready -n NS` with vals
// (on top of the release's values when reuse is set).
func (h *helmClient) upgrade(ch *chart.Chart, reuse bool, vals map[string]any) *release.Release {
	h.t.Helper()
	up := action.NewUpgrade(h.cfg)
	up.Namespace, up.Timeout, up.ReuseValues = h.ns, 3*time.Minute, reuse
	rel, err := up.RunWithContext(context.Background(), releaseName, ch, vals)
	if err != nil {
		h.t.Fatalf("helm upgrade with %v: %v", vals, err)
	}
	h.noWarnings("helm upgrade")
	return rel
}

// TestHelm follows the README's Helm path in a second restricted namespace:
// `helm install` with the chart's defaults, every pod Ready and checked from
// the node, then `helm test --logs` (what the CLI does: run the test hooks,
// then read their pods' logs). At the chart's default rate it reports the
// CPU and memory each container uses beside its requests and limits. Then,
// with loadgen at 200 rps, a rollout restart of helloserver, the deletion of
// a helloserver pod and scaling it 2 -> 1 -> 2 must each lose no request.
func TestHelm(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "asm-ready-helm")
	h, ch := newHelm(t, ns), loadChart(t)
	h.install(ch, nil)
	waitDeployments(t, ns, true)
	checkFromNode(t, ns)

	rt := action.NewReleaseTesting(h.cfg)
	rt.Namespace, rt.Timeout = ns, 3*time.Minute
	rel, err := rt.Run(releaseName)
	if err != nil {
		t.Fatalf("helm test: %v", err)
	}
	var logs bytes.Buffer
	if err := rt.GetPodLogs(&logs, rel); err != nil {
		t.Errorf("helm test --logs: %v", err)
	}
	t.Logf("helm test --logs:\n%s", logs.String())
	h.noWarnings("helm test")

	usage(t, ns)

	h.upgrade(ch, true, map[string]any{"loadgen": map[string]any{"requestsPerSecond": 200}})
	waitDeployments(t, ns, true)
	waitRequests(t, ns, loadgenCounters(t, ns), 200)
	for _, step := range []struct {
		name string
		args func() []string
	}{
		{"kubectl rollout restart", func() []string { return []string{"rollout", "restart", "deployment/helloserver"} }},
		{"kubectl delete pod", func() []string { return []string{"delete", "pod", podsOf(t, ns, "helloserver")[0].Name} }},
		{"kubectl scale to 2", func() []string { return []string{"scale", "deployment/helloserver", "--replicas=2"} }},
		{"kubectl scale 2 -> 1", func() []string { return []string{"scale", "deployment/helloserver", "--replicas=1"} }},
		{"kubectl scale 1 -> 2", func() []string { return []string{"scale", "deployment/helloserver", "--replicas=2"} }},
	} {
		before := loadgenCounters(t, ns)
		kubectl(t, append([]string{"-n", ns}, step.args()...)...)
		waitDeployments(t, ns, true)
		// One more second of traffic once no old pod is left, so every request
		// that was in flight to one has completed and been counted.
		d := waitRequests(t, ns, loadgenCounters(t, ns), 200).since(before)
		if d.failed() > 0 {
			t.Errorf("%s at 200 rps: %.0f requests failed, %.0f succeeded: %v", step.name, d.failed(), d.n["ok"], d.n)
		} else {
			t.Logf("%s at 200 rps: %.0f requests succeeded, none failed", step.name, d.n["ok"])
		}
	}
}

// usage reports the CPU and memory of every container in ns, beside its
// requests and limits, from the kubelet's summary API through the API
// server: CPU averaged over at least 20 s of its cumulative counter, memory
// as the working set at the end.
func usage(t *testing.T, ns string) {
	t.Helper()
	var first, last map[string]statsapi.ContainerStats
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		last = containerStats(t, ns)
		if first == nil && len(last) > 0 {
			first = last
		}
		for k, f := range first {
			l, ok := last[k]
			if !ok || l.CPU.Time.Sub(f.CPU.Time.Time) < 20*time.Second {
				return false, nil
			}
		}
		return first != nil, nil
	})
	if err != nil {
		t.Fatalf("kubelet stats for namespace %s: %v", ns, err)
	}
	pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var tab bytes.Buffer
	w := tabwriter.NewWriter(&tab, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "pod\tcontainer\tCPU used\tCPU request/limit\tmemory used\tmemory request/limit")
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			f, l := first[p.Name+"/"+c.Name], last[p.Name+"/"+c.Name]
			if l.CPU == nil {
				continue
			}
			cores := float64(*l.CPU.UsageCoreNanoSeconds-*f.CPU.UsageCoreNanoSeconds) / float64(l.CPU.Time.Sub(f.CPU.Time.Time).Nanoseconds())
			r := c.Resources
			fmt.Fprintf(w, "%s\t%s\t%.1fm\t%s/%s\t%.1fMi\t%s/%s\n", p.Name, c.Name, cores*1000,
				r.Requests.Cpu(), r.Limits.Cpu(), float64(*l.Memory.WorkingSetBytes)/(1<<20), r.Requests.Memory(), r.Limits.Memory())
		}
	}
	w.Flush()
	t.Logf("resources at the chart's default rate:\n%s", tab.String())
}

// containerStats returns the kubelet's stats of every running container in
// ns that has CPU and memory figures, by "pod/container".
func containerStats(t *testing.T, ns string) map[string]statsapi.ContainerStats {
	t.Helper()
	ctx := context.Background()
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var nodes, running []string
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning {
			running = append(running, p.Name)
			if !slices.Contains(nodes, p.Spec.NodeName) {
				nodes = append(nodes, p.Spec.NodeName)
			}
		}
	}
	out := map[string]statsapi.ContainerStats{}
	for _, node := range nodes {
		b, err := cs.CoreV1().RESTClient().Get().Resource("nodes").Name(node).SubResource("proxy").Suffix("stats/summary").DoRaw(ctx)
		if err != nil {
			t.Fatalf("node %s stats/summary: %v", node, err)
		}
		var s statsapi.Summary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("node %s stats/summary: %v", node, err)
		}
		for _, p := range s.Pods {
			for _, c := range p.Containers {
				if p.PodRef.Namespace == ns && slices.Contains(running, p.PodRef.Name) && c.CPU != nil && c.CPU.UsageCoreNanoSeconds != nil && c.Memory != nil && c.Memory.WorkingSetBytes != nil {
					out[p.PodRef.Name+"/"+c.Name] = c
				}
			}
		}
	}
	return out
}
