// Package cluster runs a single-node Kubernetes cluster on this machine for
// tests, the way Kubernetes' hack/local-up-cluster.sh does: etcd, the control
// plane, kubelet, kube-proxy (nftables), containerd and runc, the CNI bridge
// and CoreDNS as plain processes, from binaries tools/kube/build.sh builds.
// It is a test node, not a production cluster: one CA made per run, no HA,
// everything under one state directory, and torn down without a trace.
package cluster

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/moby/sys/mount"

	"github.com/asm-ready/asm-ready/tools/internal/cachedir"
)

// The node's names and addresses. Pods and Services live in the benchmarking
// block 198.18.0.0/15 (RFC 2544): not routed on the internet and outside the
// private ranges, so they collide with no LAN; the guard keeps them local.
const (
	NodeName     = "asm-ready"
	ClusterName  = "asm-ready"
	PodCIDR      = "198.18.0.0/16"
	ServiceCIDR  = "198.19.0.0/16"
	DNSServiceIP = "198.19.0.10"
	nodeIP       = "198.18.0.1" // the bridge's address: every server binds here or to loopback
	apiServiceIP = "198.19.0.1"
	contained    = "198.18.0.0/15"
	bridgeName   = "asmready0"
	cgroupName   = "asm-ready"
	guardTable   = "asm-ready-guard"
	pauseImage   = "asm-ready.local/pause:1"
	corednsImage = "asm-ready.local/coredns:1.15.0"

	// DefaultState is where a node keeps everything it writes; removed by Down.
	DefaultState = "/var/lib/asm-ready-cluster"
)

//go:embed conf
var confFS embed.FS

// Node is the test node of this machine.
type Node struct {
	Repo    string    // repository root
	Cache   string    // ASM_READY_CACHE: binaries and BuildKit's cache
	State   string    // DefaultState unless a test says otherwise
	Log     io.Writer // progress lines
	bin     map[string]string
	missing error // the first binary not built; Up and Images need them all
	procs   []*proc
}

// binaries are what the node runs; tools/kube/build.sh builds them.
var binaries = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl",
	"containerd", "containerd-shim-runc-v2", "ctr", "runc", "bridge", "host-local", "loopback", "portmap",
	"coredns", "pause", "buildkitd", "buildctl", "dockerfile-frontend",
}

// New finds the binaries (in the directories `tools/kube/build.sh
// --print` names) and checks that this process may change the host.
// Down and Running work without the binaries; Up and Images do not.
func New(repo string, log io.Writer) (*Node, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the test node changes the host (network, cgroups, mounts): run as root")
	}
	cache, err := cachedir.Dir()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(filepath.Join(repo, "tools/kube/build.sh"), "--print").Output()
	if err != nil {
		return nil, fmt.Errorf("tools/kube/build.sh --print in %s: %w", repo, err)
	}
	n := &Node{Repo: repo, Cache: cache, State: DefaultState, Log: log, bin: map[string]string{}}
	dirs := strings.Fields(string(out))
	for _, name := range binaries {
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				n.bin[name] = filepath.Join(d, name)
			}
		}
		if n.bin[name] == "" && n.missing == nil {
			n.missing = fmt.Errorf("%s is not built (looked in %s): run `make cluster-bins`", name, strings.Join(dirs, ", "))
		}
	}
	return n, nil
}

// Kubeconfig is the cluster-admin kubeconfig of a running node.
func (n *Node) Kubeconfig() string { return filepath.Join(n.State, "pki", "admin.kubeconfig") }

func (n *Node) logf(format string, args ...any) {
	fmt.Fprintf(n.Log, "cluster: "+format+"\n", args...)
}

// Lock waits until no other cluster command runs on this machine; call the
// returned function to release. It is an flock on the state directory's
// parent: one lock per machine whatever the cache, no file of its own, and
// freed by a crash.
func (n *Node) Lock(ctx context.Context) (func(), error) {
	f, err := os.Open(filepath.Dir(n.State))
	if err != nil {
		return nil, err
	}
	for said := false; ; said = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		if !said {
			n.logf("waiting for another cluster command to finish (flock on %s)", f.Name())
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Running reports whether a node is up: processes in its cgroup.
func Running() bool { return len(cgroupPids()) > 0 }

// Up brings the node to Ready with CoreDNS available. owner is the pid of a
// `run` command that will tear it down, or 0 for a node left up for `down`.
// Leftovers of a crashed run are torn down first; a node someone left up is
// an error. On any failure Up tears down what it started.
func (n *Node) Up(ctx context.Context, owner int) (err error) {
	if n.missing != nil {
		return n.missing
	}
	if Running() {
		rec, err := readRecord(filepath.Join(n.State, "host.json"))
		if err != nil || rec.Owner == 0 || alive(rec.Owner) {
			return errors.New("a test node is already up: run `make cluster-down` first")
		}
		n.logf("tearing down the node of run %d, which ended without it", rec.Owner)
	}
	if err := n.Down(); err != nil {
		return fmt.Errorf("remove leftovers of an earlier node: %w", err)
	}
	defer func() {
		if err != nil {
			n.logf("bring-up failed; tearing down (logs were in %s)", filepath.Join(n.State, "logs"))
			err = errors.Join(err, n.Down())
		}
	}()
	start := time.Now()
	for _, d := range []string{"logs", "cni", "containerd/certs.d/_default", "images"} {
		if err := os.MkdirAll(filepath.Join(n.State, d), 0o700); err != nil {
			return err
		}
	}
	rec, err := recordHost(owner)
	if err != nil {
		return err
	}
	if err := writeRecord(filepath.Join(n.State, "host.json"), rec); err != nil {
		return err
	}
	if err := writePKI(filepath.Join(n.State, "pki"), "https://"+nodeIP+":6443"); err != nil {
		return err
	}
	if err := n.writeConfigs(); err != nil {
		return err
	}
	if err := setupNetwork(filepath.Join(n.State, "guard.nft")); err != nil {
		return err
	}
	if err := enterCgroup(); err != nil {
		return err
	}
	if err := n.startNode(ctx); err != nil {
		return err
	}
	n.logf("node %s Ready, CoreDNS available, in %s; KUBECONFIG=%s", NodeName, time.Since(start).Round(100*time.Millisecond), n.Kubeconfig())
	return nil
}

// alive reports whether pid runs (a zombie does not: it is only not yet reaped).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	_, state, _ := strings.Cut(string(b), ") ")
	return err == nil && !strings.HasPrefix(state, "Z") && !strings.HasPrefix(state, "X")
}

// Down stops every process of the node and undoes every host change: it
// needs no running node and is safe to repeat.
func (n *Node) Down() error {
	var errs []error
	if Running() {
		n.logf("stopping the node's processes")
	}
	n.procs = nil
	errs = append(errs, killAll(5*time.Second))
	// Mounts, deepest first: kubelet's bind mount of its root, volumes,
	// network namespaces, the containers' and BuildKit's overlay roots.
	errs = append(errs, mount.RecursiveUnmount(n.State), mount.RecursiveUnmount(n.buildkitRoot()))
	errs = append(errs, removeCgroups(), removeNetwork())
	rec, err := readRecord(filepath.Join(n.State, "host.json"))
	switch {
	case err == nil:
		errs = append(errs, restoreHost(rec)...)
	case !errors.Is(err, fs.ErrNotExist):
		errs = append(errs, err)
	default:
		// No record: nothing was changed, but the node's own nftables tables
		// a crash left are removed (every table now counts as the host's).
		cur, err := listNFTTables()
		errs = append(errs, err)
		errs = append(errs, restoreHost(&hostRecord{NFTTables: cur})...)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("teardown (state kept in %s): %w", n.State, err)
	}
	return os.RemoveAll(n.State)
}

// Run brings a node up, runs cmd with KUBECONFIG pointing at it (and images
// built first when images is set), and tears the node down whatever happens.
// The error is cmd's (an *exec.ExitError carries its status).
func (n *Node) Run(ctx context.Context, images bool, cmd []string) error {
	unlock, err := n.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := n.Up(ctx, os.Getpid()); err != nil {
		return err
	}
	runErr := func() error {
		if images {
			if err := n.Images(ctx); err != nil {
				return err
			}
		}
		c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
		// The node's kubectl first on PATH: the version of its API server.
		c.Env = append(os.Environ(), "KUBECONFIG="+n.Kubeconfig(), "PATH="+filepath.Dir(n.bin["kubectl"])+":"+os.Getenv("PATH"))
		c.Cancel = func() error { return c.Process.Signal(syscall.SIGTERM) }
		c.WaitDelay = 10 * time.Second
		err := c.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() > 0 {
			return CommandFailed(exit.ExitCode())
		}
		return err
	}()
	if err := n.Down(); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// CommandFailed is the non-zero exit status of Run's command, told apart
// from the node's own errors (which may also come from a failed program).
type CommandFailed int

func (c CommandFailed) Error() string { return fmt.Sprintf("command exited with status %d", int(c)) }

// writeConfigs renders conf/ into the state directory.
func (n *Node) writeConfigs() error {
	t, err := template.New("").Option("missingkey=error").ParseFS(confFS, "conf/*")
	if err != nil {
		return err
	}
	data := map[string]any{
		"State": n.State, "NodeName": NodeName, "NodeIP": nodeIP, "PodCIDR": PodCIDR, "ServiceCIDR": ServiceCIDR, "DNSIP": DNSServiceIP,
		"Bridge": bridgeName, "Cgroup": cgroupName, "GuardTable": guardTable, "Contained": contained,
		"PauseImage": pauseImage, "CoreDNSImage": corednsImage,
		"Bin": map[string]string{"runc": n.bin["runc"], "dir": filepath.Dir(n.bin["bridge"])},
	}
	for src, dst := range map[string]string{
		"containerd.toml": "containerd.toml", "hosts.toml": "containerd/certs.d/_default/hosts.toml",
		"cni.conflist": "cni/10-asm-ready.conflist", "kubelet.yaml": "kubelet.yaml",
		"kube-proxy.yaml": "kube-proxy.yaml", "guard.nft": "guard.nft", "coredns.yaml": "coredns.yaml",
	} {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, src, data); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(n.State, dst), b.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return nil
}
