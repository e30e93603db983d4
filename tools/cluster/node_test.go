//go:build cluster

// The node's own test: it needs root and the binaries of `make cluster-bins`,
// changes the host, and so runs only through `make cluster-test`.
package cluster

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// TestNode brings the node up twice in a row. The first time it proves the
// node works: a pod from a locally made image runs under Pod Security
// restricted as UID 65532 (seen from the host), finds a Service through
// CoreDNS, reaches it over its Service IP, and traffic from the pod range to
// the outside is dropped by the guard. After each teardown the host must be
// exactly as before.
func TestNode(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(repo, os.Stderr)
	if err == nil {
		err = n.missing
	}
	if err != nil {
		t.Fatalf("%v\n(this test needs root and the binaries `make cluster-bins` builds)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	unlock, err := n.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if Running() {
		t.Fatal("a test node is already up: run `make cluster-down` first")
	}
	// Leftovers of a crashed run are not the host's state: remove them first.
	if err := n.Down(); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, n)
	for run := 1; run <= 2; run++ {
		start := time.Now()
		if err := n.Up(ctx, os.Getpid()); err != nil {
			t.Fatalf("run %d: up: %v", run, err)
		}
		t.Logf("run %d: up in %s", run, time.Since(start).Round(time.Millisecond))
		if run == 1 {
			smoke(ctx, t, n)
		}
		if err := n.Down(); err != nil {
			t.Fatalf("run %d: down: %v", run, err)
		}
		compare(t, fmt.Sprintf("run %d", run), before, snapshot(t, n))
	}
}

func smoke(ctx context.Context, t *testing.T, n *Node) {
	defer func() {
		if t.Failed() {
			for _, name := range []string{"kubelet", "containerd", "kube-proxy"} {
				t.Logf("%s %s", name, n.logTail(name))
			}
		}
	}()
	// The test's image: the distroless stand-in plus Debian's static busybox.
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal(err)
	}
	base, cfg := distroless()
	dir := t.TempDir()
	img, err := image(dir, cfg, base, []entry{{name: "bin/busybox", src: busybox}})
	if err != nil {
		t.Fatal(err)
	}
	const ref = "asm-ready.local/smoke:1"
	if err := n.importImages(ctx, dir, map[string]v1.Image{ref: img}); err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", n.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(rc)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "smoke", Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The namespace's default ServiceAccount comes from the controller manager.
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts("smoke").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		t.Fatal("no default ServiceAccount in namespace smoke")
	}
	pod := func(name, script string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
			Spec: corev1.PodSpec{
				RestartPolicy:   corev1.RestartPolicyNever,
				SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
				Containers: []corev1.Container{{
					Name: name, Image: ref, ImagePullPolicy: corev1.PullNever,
					Command: []string{"/bin/busybox", "sh", "-c", script},
					SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false),
						Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
				}},
			},
		}
	}
	web := pod("web", "echo hello-from-web > /tmp/index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp")
	client := pod("client", "/bin/busybox grep ^Uid: /proc/self/status; /bin/busybox nslookup web; /bin/busybox wget -q -O - http://web/")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	if svc, err = cs.CoreV1().Services("smoke").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("smoke").Create(ctx, web, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods("smoke").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && p.Status.PodIP != "" && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Ready, nil
	}); err != nil {
		t.Fatalf("pod web not ready: %v", err)
	}
	if _, err := cs.CoreV1().Pods("smoke").Create(ctx, client, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var done *corev1.Pod
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		done, err = cs.CoreV1().Pods("smoke").Get(ctx, "client", metav1.GetOptions{})
		return err == nil && (done.Status.Phase == corev1.PodSucceeded || done.Status.Phase == corev1.PodFailed), nil
	}); err != nil {
		t.Fatalf("pod client did not finish: %v", err)
	}
	// An image that is not on the node must not be fetched from anywhere.
	pull := pod("pull", "true")
	pull.Spec.Containers[0].Image, pull.Spec.Containers[0].ImagePullPolicy = "docker.io/library/busybox:1", corev1.PullAlways
	if _, err := cs.CoreV1().Pods("smoke").Create(ctx, pull, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pullMsg string
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods("smoke").Get(ctx, "pull", metav1.GetOptions{})
		if err == nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil {
			pullMsg = p.Status.ContainerStatuses[0].State.Waiting.Message
		}
		return pullMsg != "", nil
	}); err != nil {
		t.Fatalf("pod pull: no image pull error: %v", err)
	}
	t.Logf("pull of an absent image: %s", pullMsg)
	logs, err := cs.CoreV1().Pods("smoke").GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := string(logs)
	t.Logf("client (%s, pod IP %s) printed:\n%s", done.Status.Phase, done.Status.PodIP, out)
	checks := []struct {
		what string
		ok   bool
	}{
		{"the client pod succeeded", done.Status.Phase == corev1.PodSucceeded},
		{"the client ran as UID 65532 (the image's user)", regexp.MustCompile(`(?m)^Uid:\s+65532\s`).MatchString(out)},
		{"CoreDNS answered with the Service IP " + svc.Spec.ClusterIP, regexp.MustCompile(`Address:\s+` + regexp.QuoteMeta(svc.Spec.ClusterIP) + `\b`).MatchString(out)},
		{"the web pod answered over the Service", strings.Contains(out, "hello-from-web")},
		{"the pod IP is in " + PodCIDR, netip.MustParsePrefix(PodCIDR).Contains(netip.MustParseAddr(done.Status.PodIP))},
		{"the Service IP is in " + ServiceCIDR, netip.MustParsePrefix(ServiceCIDR).Contains(netip.MustParseAddr(svc.Spec.ClusterIP))},
		{"the web server runs as UID 65532, seen from the host", hostUID(t, "httpd") == "65532"},
		{"the guard drops pod-range traffic to the outside", guardDrops(t)},
		{"a pull goes to the closed local port, not a registry", strings.Contains(pullMsg, "127.0.0.1:9")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("not true: %s", c.what)
		}
	}
}

// hostUID returns the real UID, from /proc, of the node's process whose
// command line contains word.
func hostUID(t *testing.T, word string) string {
	for _, pid := range cgroupPids() {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if !strings.Contains(string(cmdline), word) {
			continue
		}
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)`).FindSubmatch(status); m != nil {
			return string(m[1])
		}
	}
	t.Logf("no node process runs %q", word)
	return ""
}

// guardDrops sends a packet from the node address to a documentation
// address (TEST-NET-3) that only the default route leads to, and reports
// whether the guard's counter caught it.
func guardDrops(t *testing.T) bool {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(nodeIP)}, Timeout: time.Second}
	if c, err := d.Dial("tcp", "203.0.113.1:9"); err == nil {
		c.Close()
		t.Log("a connection from the node address to 203.0.113.1 succeeded")
		return false
	}
	out, err := exec.Command("nft", "list", "chain", "inet", guardTable, "egress").CombinedOutput()
	if err != nil {
		t.Logf("nft: %v: %s", err, out)
		return false
	}
	return regexp.MustCompile(`ip saddr 198\.18\.0\.0/15 counter packets [1-9]`).Match(out)
}

// state is what a node could leave behind on the host, as comparable text.
type state map[string][]string

func snapshot(t *testing.T, n *Node) state {
	t.Helper()
	s := state{}
	lines := func(name string, args ...string) []string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	// Processes running a node binary, or in the node's cgroup.
	for _, pid := range cgroupPids() {
		s["processes"] = append(s["processes"], fmt.Sprintf("pid %d in the node's cgroup", pid))
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, p := range procs {
		if exe, err := os.Readlink(p); err == nil && slices.Contains(slices.Collect(maps.Values(n.bin)), exe) {
			s["processes"] = append(s["processes"], p+" -> "+exe)
		}
	}
	for _, l := range lines("cat", "/proc/self/mountinfo") {
		f := strings.Fields(l)
		s["mounts"] = append(s["mounts"], f[4]+" "+f[len(f)-3]+" "+f[len(f)-2])
	}
	for _, l := range lines("ip", "-o", "link") {
		s["interfaces"] = append(s["interfaces"], strings.Fields(l)[1])
	}
	s["routes"] = lines("ip", "route", "show", "table", "all")
	counters := regexp.MustCompile(`counter packets \d+ bytes \d+`)
	for _, l := range lines("nft", "list", "ruleset") {
		s["nftables"] = append(s["nftables"], counters.ReplaceAllString(l, "counter"))
	}
	if b, err := os.ReadFile("/proc/net/ip_tables_names"); err == nil {
		s["iptables-legacy"] = strings.Fields(string(b))
	}
	roots, err := cgroupRoots()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roots {
		entries, _ := os.ReadDir(r)
		for _, e := range entries {
			if e.IsDir() {
				s["cgroups"] = append(s["cgroups"], filepath.Join(r, e.Name()))
			}
		}
	}
	_ = filepath.WalkDir("/proc/sys", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || volatileSysctl.MatchString(p) {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil {
			s["sysctls"] = append(s["sysctls"], p+"="+strings.TrimSpace(string(b)))
		}
		return nil
	})
	for _, dir := range []string{"/run", "/var/lib", "/var/log", "/etc", "/opt"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			s["files"] = append(s["files"], filepath.Join(dir, e.Name()))
		}
	}
	if _, err := os.Stat(n.State); err == nil {
		s["files"] = append(s["files"], n.State)
	}
	return s
}

// volatileSysctl matches kernel counters that change on their own.
var volatileSysctl = regexp.MustCompile(`^/proc/sys/(kernel/random/|kernel/ns_last_pid|kernel/pty/nr|fs/(dentry-state|inode-nr|inode-state|file-nr|aio-nr|quota/)|net/netfilter/nf_conntrack_count)`)

func compare(t *testing.T, when string, before, after state) {
	t.Helper()
	for _, kind := range []string{"processes", "mounts", "interfaces", "routes", "nftables", "iptables-legacy", "cgroups", "sysctls", "files"} {
		b, a := slices.Sorted(slices.Values(before[kind])), slices.Sorted(slices.Values(after[kind]))
		for _, x := range a {
			if !slices.Contains(b, x) {
				t.Errorf("%s: after down, %s has %q, which was not there before up", when, kind, x)
			}
		}
		for _, x := range b {
			if !slices.Contains(a, x) {
				t.Errorf("%s: after down, %s lacks %q, which was there before up", when, kind, x)
			}
		}
	}
}
