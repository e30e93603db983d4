package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// proc is a process the node started; done closes when it exits.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start runs a node binary in its own session (a Ctrl-C after `up` does not
// reach it), logging to logs/<name>.log.
func (n *Node) start(name string, args ...string) (*proc, error) {
	log, err := os.OpenFile(filepath.Join(n.State, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(n.bin[name], args...)
	cmd.Stdout, cmd.Stderr = log, log
	// containerd finds its shim, and kube-proxy and portmap find nft, on PATH.
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(n.bin["containerd"])+":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	n.procs = append(n.procs, p)
	return p, nil
}

// waitFor polls cond until it holds; it fails early, with the log's tail,
// when a process the node started exits.
func (n *Node) waitFor(ctx context.Context, what string, timeout time.Duration, cond func(context.Context) bool) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		for _, p := range n.procs {
			select {
			case <-p.done:
				return false, fmt.Errorf("%s exited (%v); %s", p.name, p.err, n.logTail(p.name))
			default:
			}
		}
		return cond(ctx), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// logTail returns the last lines of a component's log, for error messages.
func (n *Node) logTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(n.State, "logs", name+".log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return "its log ends:\n" + strings.Join(lines[max(0, len(lines)-15):], "\n")
}

// startNode starts the components in dependency order and waits for each
// one that the next needs.
func (n *Node) startNode(ctx context.Context) error {
	s, pki := n.State, filepath.Join(n.State, "pki")
	if _, err := n.start("etcd", "--name="+NodeName, "--data-dir="+s+"/etcd", "--unsafe-no-fsync",
		"--listen-client-urls=http://127.0.0.1:2379", "--advertise-client-urls=http://127.0.0.1:2379",
		"--listen-peer-urls=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster="+NodeName+"=http://127.0.0.1:2380"); err != nil {
		return err
	}
	if _, err := n.start("containerd", "--config="+s+"/containerd.toml"); err != nil {
		return err
	}
	httpc := &http.Client{Timeout: 2 * time.Second}
	if err := n.waitFor(ctx, "etcd", time.Minute, func(ctx context.Context) bool {
		resp, err := httpc.Get("http://127.0.0.1:2379/health")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}); err != nil {
		return err
	}
	if _, err := n.start("kube-apiserver", "--etcd-servers=http://127.0.0.1:2379",
		"--bind-address="+nodeIP, "--advertise-address="+nodeIP, "--secure-port=6443",
		"--service-cluster-ip-range="+ServiceCIDR, "--allow-privileged=true",
		"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
		"--client-ca-file="+pki+"/ca.crt", "--tls-cert-file="+pki+"/apiserver.crt", "--tls-private-key-file="+pki+"/apiserver.key",
		"--kubelet-certificate-authority="+pki+"/ca.crt", "--kubelet-preferred-address-types=InternalIP",
		"--kubelet-client-certificate="+pki+"/apiserver-kubelet-client.crt", "--kubelet-client-key="+pki+"/apiserver-kubelet-client.key",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pki+"/service-account.key", "--service-account-signing-key-file="+pki+"/service-account.key"); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", n.Kubeconfig())
	if err != nil {
		return err
	}
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := n.waitFor(ctx, "kube-apiserver /readyz", 2*time.Minute, func(ctx context.Context) bool {
		b, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(b) == "ok"
	}); err != nil {
		return err
	}
	if _, err := n.start("kube-controller-manager", "--kubeconfig="+pki+"/kube-controller-manager.kubeconfig",
		"--secure-port=0", "--leader-elect=false", "--use-service-account-credentials=true",
		"--service-account-private-key-file="+pki+"/service-account.key", "--root-ca-file="+pki+"/ca.crt"); err != nil {
		return err
	}
	if _, err := n.start("kube-scheduler", "--kubeconfig="+pki+"/kube-scheduler.kubeconfig", "--secure-port=0", "--leader-elect=false"); err != nil {
		return err
	}
	if err := n.waitFor(ctx, "containerd", time.Minute, func(context.Context) bool {
		c, err := net.Dial("unix", s+"/containerd.sock")
		if err == nil {
			c.Close()
		}
		return err == nil
	}); err != nil {
		return err
	}
	if err := n.importNodeImages(ctx); err != nil {
		return err
	}
	if _, err := n.start("kubelet", "--config="+s+"/kubelet.yaml", "--kubeconfig="+pki+"/kubelet.kubeconfig",
		"--root-dir="+s+"/kubelet", "--hostname-override="+NodeName, "--node-ip="+nodeIP); err != nil {
		return err
	}
	if _, err := n.start("kube-proxy", "--config="+s+"/kube-proxy.yaml"); err != nil {
		return err
	}
	if err := n.run(ctx, "kubectl", "--kubeconfig="+n.Kubeconfig(), "--cache-dir="+s+"/kubectl", "apply", "--server-side", "-f", s+"/coredns.yaml"); err != nil {
		return err
	}
	if err := n.waitFor(ctx, "node "+NodeName+" Ready", 2*time.Minute, func(ctx context.Context) bool {
		node, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.Status == corev1.ConditionTrue
			}
		}
		return false
	}); err != nil {
		return err
	}
	return n.waitFor(ctx, "CoreDNS available", 2*time.Minute, func(ctx context.Context) bool {
		d, err := cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
		return err == nil && d.Status.ObservedGeneration >= d.Generation && d.Status.AvailableReplicas >= 1
	})
}

// run runs one of the node's binaries to completion; its output is in the error.
func (n *Node) run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, n.bin[name], args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// importImage loads an image archive (docker save or OCI format) into the
// node, under the names the archive carries, in the namespace the CRI (and
// so kubelet) uses.
func (n *Node) importImage(ctx context.Context, archive string) error {
	return n.run(ctx, "ctr", "--address", filepath.Join(n.State, "containerd.sock"), "--namespace", "k8s.io",
		"images", "import", "--platform", "linux/amd64", archive)
}
