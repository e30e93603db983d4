//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestOverlayLocal deploys overlays/local exactly as its README says
// (`kubectl apply -k overlays/local`, which must print no warning), into the
// restricted namespace the overlay ships. Every pod becomes Ready, every
// container runs as 65532 with a read-only root filesystem (seen from the
// node), and loadgen's own counters show requests through CoreDNS and the
// Service succeeding.
func TestOverlayLocal(t *testing.T) {
	t.Parallel()
	const ns = "asm-ready"
	kubectl(t, "apply", "-k", repo+"/overlays/local")
	deleteAfter(t, ns)
	checkRestricted(t, ns)
	waitDeployments(t, ns, true)
	checkFromNode(t, ns)
	smoke(t, ns)
}

// smoke checks that loadgen reaches helloserver by the Service's DNS name and
// that, once every pod is Ready, at least 20 more requests succeed and none
// fails, read from loadgen's own counters (any log format).
func smoke(t *testing.T, ns string) {
	t.Helper()
	pod := podOf(t, ns, "loadgenerator")
	var addr string
	for _, e := range pod.Spec.Containers[0].Env {
		if e.Name == "SERVER_ADDR" {
			addr = e.Value
		}
	}
	if u, err := url.Parse(addr); err != nil || u.Hostname() != "hellosvc" {
		t.Errorf("loadgen's SERVER_ADDR is %q, want the Service by name (http://hellosvc...)", addr)
	}
	start := loadgenCounters(t, ns)
	d := waitRequests(t, ns, start, 20).since(start)
	if d.failed() > 0 {
		t.Errorf("smoke: %.0f requests to %s failed: %v", d.failed(), addr, d.n)
	}
	t.Logf("smoke: %.0f requests to %s succeeded, %.0f failed", d.n["ok"], addr, d.failed())
}

// counters are loadgen_requests_total of one loadgen pod, summed by result
// (ok, failed_status, failed_transport, aborted).
type counters struct {
	pod string
	n   map[string]float64
}

func (c counters) failed() float64 {
	var f float64
	for k, v := range c.n {
		if k != "ok" {
			f += v
		}
	}
	return f
}

// since returns the requests completed after o.
func (c counters) since(o counters) counters {
	d := counters{pod: c.pod, n: map[string]float64{}}
	for k, v := range c.n {
		d.n[k] = v - o.n[k]
	}
	return d
}

// loadgenCounters reads loadgen's /metrics through the API server's pod
// proxy, which works on any cluster without a port-forward.
func loadgenCounters(t *testing.T, ns string) counters {
	t.Helper()
	pod := podOf(t, ns, "loadgenerator")
	port := ""
	for _, p := range pod.Spec.Containers[0].Ports {
		if p.Name == "http" {
			port = strconv.Itoa(int(p.ContainerPort))
		}
	}
	b, err := cs.CoreV1().Pods(ns).ProxyGet("http", pod.Name, port, "/metrics", nil).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("loadgen %s/%s /metrics on port %q: %v", ns, pod.Name, port, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("loadgen /metrics: %v", err)
	}
	c := counters{pod: pod.Name, n: map[string]float64{}}
	for _, m := range fams["loadgen_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "result" {
				c.n[l.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	if _, ok := c.n["ok"]; !ok {
		t.Fatalf("loadgen /metrics has no loadgen_requests_total{result=\"ok\"}:\n%s", b)
	}
	return c
}

// waitRequests waits until at least n more requests than in since
// succeeded, counted by the same loadgen pod, and returns the counters then.
func waitRequests(t *testing.T, ns string, since counters, n float64) counters {
	t.Helper()
	var now counters
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		if now = loadgenCounters(t, ns); now.pod != since.pod {
			return false, fmt.Errorf("loadgen pod %s was replaced by %s, whose counters start again", since.pod, now.pod)
		}
		return now.n["ok"]-since.n["ok"] >= n, nil
	})
	if err != nil {
		t.Fatalf("waiting for %.0f successful requests: %v (since then: %v)", n, err, now.since(since).n)
	}
	return now
}

// podOf returns the one running, not terminating pod of the Deployment name.
func podOf(t *testing.T, ns, name string) *corev1.Pod {
	t.Helper()
	pods := podsOf(t, ns, name)
	if len(pods) != 1 {
		t.Fatalf("Deployment %s/%s has %d running pods, want 1", ns, name, len(pods))
	}
	return &pods[0]
}

// podsOf returns the running, not terminating pods of the Deployment name.
func podsOf(t *testing.T, ns, name string) []corev1.Pod {
	t.Helper()
	ctx := context.Background()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			out = append(out, p)
		}
	}
	return out
}

// procScript prints, for the process whose cgroup names the container ID
// $1, its user IDs, capabilities and no_new_privs from /proc/PID/status and
// the mount options of its root from /proc/PID/mountinfo. Container
// runtimes put the container ID in the cgroup path (cgroupfs and systemd
// drivers alike).
const procScript = `for f in /proc/[0-9]*/cgroup; do
  grep -q "$1" "$f" 2>/dev/null || continue
  d=${f%/cgroup}
  grep -E '^(Uid|CapEff|NoNewPrivs):' "$d/status" && awk '$5 == "/" { print "Root:", $6 }' "$d/mountinfo" && exit 0
done
echo "no process of container $1 on this node" >&2; exit 1`

// onNode runs a shell script on the node: on this machine when
// E2E_NODE_EXEC is empty (the local test node runs here), else through that
// command, e.g. `docker exec asm-ready-control-plane` for kind.
func onNode(t *testing.T, script string, args ...string) string {
	t.Helper()
	argv := append(strings.Fields(os.Getenv("E2E_NODE_EXEC")), append([]string{"sh", "-c", script, "sh"}, args...)...)
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		var stderr []byte
		if e, ok := err.(*exec.ExitError); ok {
			stderr = e.Stderr
		}
		t.Fatalf("on the node (%s): %v: %s\n(when the node is not this machine, set E2E_NODE_EXEC to a command that runs a command on it)",
			strings.Join(argv[:len(argv)-len(args)-3], " "), err, stderr)
	}
	return string(out)
}

// The /proc lines checkFromNode expects of every container.
var fromNode = []struct {
	what string
	re   *regexp.Regexp
}{
	{"runs as UID 65532 (real, effective, saved, fs)", regexp.MustCompile(`(?m)^Uid:\s+65532\s+65532\s+65532\s+65532$`)},
	{"has no effective capability", regexp.MustCompile(`(?m)^CapEff:\s+0+$`)},
	{"cannot gain privileges (no_new_privs)", regexp.MustCompile(`(?m)^NoNewPrivs:\s+1$`)},
	{"has a read-only root filesystem", regexp.MustCompile(`(?m)^Root: (.*,)?ro(,.*)?$`)},
}

// checkFromNode reads every container's process in ns from the node's /proc,
// not from the pod spec: what the kernel enforces.
func checkFromNode(t *testing.T, ns string) {
	t.Helper()
	pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		for _, c := range p.Status.ContainerStatuses {
			_, id, ok := strings.Cut(c.ContainerID, "://")
			if !ok || c.State.Running == nil {
				t.Errorf("%s/%s container %s is not running (%s)", ns, p.Name, c.Name, c.ContainerID)
				continue
			}
			out := onNode(t, procScript, id)
			for _, want := range fromNode {
				if !want.re.MatchString(out) {
					t.Errorf("%s/%s container %s: the process %s is not true; /proc says:\n%s", ns, p.Name, c.Name, want.what, out)
				}
			}
			t.Logf("%s/%s %s from the node: %s", ns, p.Name, c.Name, strings.Join(strings.Fields(out), " "))
		}
	}
}
