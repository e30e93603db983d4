package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sysctls are every kernel setting the node changes: IP forwarding and
// bridge netfilter (Service traffic between pods on one bridge needs both),
// and the six kubelet writes once at start. Teardown writes the originals back.
var sysctls = []string{
	"net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables",
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
}

// hostPaths are directories the components create whatever they are told:
// containerd's shim sockets (/run/containerd/s), libcni's result cache and
// kubelet's container log links. Teardown removes those that did not exist.
var hostPaths = []string{"/run/containerd", "/run/mount", "/var/lib/cni", "/var/lib/kubelet", "/var/log/containers"}

// nftTables are the tables the node creates: the guard, kube-proxy's and the
// portmap plugin's. Teardown also deletes kubelet's iptables-nft tables
// (ip/ip6 filter, nat, mangle) when they did not exist before.
var nftTables = []string{"inet " + guardTable, "ip kube-proxy", "ip6 kube-proxy", "ip cni_hostport", "ip6 cni_hostport"}

// hostRecord is what `up` found before it changed anything, kept in the state
// directory so that any later `down` (also after a crash) can put it back.
type hostRecord struct {
	Sysctls   map[string]string `json:"sysctls"`
	NFTTables []string          `json:"nftTables"`
	Absent    []string          `json:"absent"`
	Owner     int               `json:"owner,omitempty"` // pid of `run`; 0 for `up`
}

func recordHost(owner int) (*hostRecord, error) {
	rec := &hostRecord{Sysctls: map[string]string{}, Owner: owner}
	for _, k := range sysctls {
		b, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			return nil, fmt.Errorf("read sysctl %s: %w (for net/bridge: load the br_netfilter module)", k, err)
		}
		rec.Sysctls[k] = strings.TrimSpace(string(b))
	}
	for _, p := range hostPaths {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			rec.Absent = append(rec.Absent, p)
		}
	}
	var err error
	rec.NFTTables, err = listNFTTables()
	return rec, err
}

// restoreHost undoes what rec recorded; it is safe to run more than once.
func restoreHost(rec *hostRecord) []error {
	var errs []error
	tables, err := listNFTTables()
	if err != nil {
		errs = append(errs, err)
	}
	for _, t := range tables {
		family, name, _ := strings.Cut(t, " ")
		iptables := (family == "ip" || family == "ip6") && (name == "filter" || name == "nat" || name == "mangle")
		if slices.Contains(nftTables, t) || (iptables && !slices.Contains(rec.NFTTables, t)) {
			if err := command("nft", "delete", "table", family, name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, p := range rec.Absent {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	for k, v := range rec.Sysctls {
		if err := os.WriteFile(filepath.Join("/proc/sys", k), []byte(v), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restore sysctl %s=%s: %w", k, v, err))
		}
	}
	return errs
}

func writeRecord(path string, rec *hostRecord) error {
	b, err := json.Marshal(rec)
	if err == nil {
		err = os.WriteFile(path, b, 0o600)
	}
	return err
}

func readRecord(path string) (*hostRecord, error) {
	rec := &hostRecord{}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, rec)
	}
	return rec, err
}

// listNFTTables returns "family name" for every nftables table.
func listNFTTables() ([]string, error) {
	out, err := exec.Command("nft", "list", "tables").Output()
	if err != nil {
		return nil, fmt.Errorf("nft list tables: %w (install Debian's nftables)", err)
	}
	var tables []string
	for _, line := range strings.Split(string(out), "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(line), "table "); ok {
			tables = append(tables, t)
		}
	}
	return tables, nil
}

// setupNetwork makes the node's bridge, with the node address, and the
// Service range routed to it (so even an unassigned Service IP never takes
// the default route), then loads the guard.
func setupNetwork(guardFile string) error {
	for k, v := range map[string]string{"net/ipv4/ip_forward": "1", "net/bridge/bridge-nf-call-iptables": "1"} {
		if err := os.WriteFile(filepath.Join("/proc/sys", k), []byte(v), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", k, v, err)
		}
	}
	for _, args := range [][]string{
		{"link", "add", bridgeName, "type", "bridge"},
		{"addr", "add", nodeIP + "/16", "dev", bridgeName},
		{"link", "set", bridgeName, "up"},
		{"route", "add", ServiceCIDR, "dev", bridgeName, "src", nodeIP},
	} {
		if err := command("ip", args...); err != nil {
			return err
		}
	}
	return command("nft", "-f", guardFile)
}

// removeNetwork deletes the bridge, its routes and the pods' host-side
// veths (which would otherwise go only when the kernel frees each netns).
func removeNetwork() error {
	if _, err := os.Stat(filepath.Join("/sys/class/net", bridgeName)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	ports, _ := filepath.Glob(filepath.Join("/sys/class/net", bridgeName, "brif", "*"))
	for _, p := range ports {
		_ = command("ip", "link", "del", filepath.Base(p)) // may already be gone with its netns
	}
	return command("ip", "link", "del", bridgeName)
}

// cgroupRoots returns one directory per cgroup v1 hierarchy, or the cgroup
// v2 root; the node's cgroup is <root>/asm-ready in each.
func cgroupRoots() ([]string, error) {
	const base = "/sys/fs/cgroup"
	if _, err := os.Stat(filepath.Join(base, "cgroup.controllers")); err == nil {
		return []string{base}, nil
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil, err
	}
	var roots []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(base, e.Name(), "cgroup.procs")); err == nil && e.IsDir() {
			roots = append(roots, filepath.Join(base, e.Name()))
		}
	}
	return roots, nil
}

// trackRoot is the hierarchy whose asm-ready/daemons cgroup holds every
// process the node starts: membership is inherited, so teardown finds shims
// and containers that were reparented away from us.
func trackRoot(roots []string) string {
	for _, r := range roots {
		if filepath.Base(r) == "pids" {
			return r
		}
	}
	return roots[0]
}

// enterCgroup creates the node's cgroup in every hierarchy (kubelet's
// cgroupRoot) and moves this process into <track>/asm-ready/daemons, so that
// everything it starts from now on is found and killed by teardown.
func enterCgroup() error {
	roots, err := cgroupRoots()
	if err != nil || len(roots) == 0 {
		return fmt.Errorf("no cgroup hierarchy under /sys/fs/cgroup: %v", err)
	}
	for _, r := range roots {
		dir := filepath.Join(r, cgroupName)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		// cgroup v1 cpuset starts empty; a task cannot join until it has CPUs.
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if b, err := os.ReadFile(filepath.Join(r, f)); err == nil {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					return err
				}
			}
		}
		// cgroup v2: hand every available controller down to kubelet's pods.
		if b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers")); err == nil && len(roots) == 1 {
			var enable []string
			for _, c := range strings.Fields(string(b)) {
				enable = append(enable, "+"+c)
			}
			if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(enable, " ")), 0o644); err != nil {
				return err
			}
		}
	}
	daemons := filepath.Join(trackRoot(roots), cgroupName, "daemons")
	if err := os.MkdirAll(daemons, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(daemons, "cgroup.procs"), []byte("0"), 0o644)
}

// cgroupPids lists the processes in the node's cgroups, except this one.
func cgroupPids() []int {
	roots, _ := cgroupRoots()
	self := os.Getpid()
	seen := map[int]bool{}
	var pids []int
	for _, r := range roots {
		_ = filepath.WalkDir(filepath.Join(r, cgroupName), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, _ := strconv.Atoi(f); pid > 0 && pid != self && !seen[pid] {
					seen[pid] = true
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// killAll asks every process of the node to stop, waits up to grace, then
// kills what is left until the cgroups are empty.
func killAll(grace time.Duration) error {
	signal := syscall.SIGTERM
	deadline := time.Now().Add(grace)
	for {
		pids := cgroupPids()
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if signal == syscall.SIGKILL {
				return fmt.Errorf("processes %v survive SIGKILL", pids)
			}
			signal, deadline = syscall.SIGKILL, time.Now().Add(10*time.Second)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, signal)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeCgroups moves this process out of the node's cgroup and removes the
// node's cgroup trees, deepest first.
func removeCgroups() error {
	roots, err := cgroupRoots()
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range roots {
		top := filepath.Join(r, cgroupName)
		if _, err := os.Stat(top); err != nil {
			continue
		}
		_ = os.WriteFile(filepath.Join(r, "cgroup.procs"), []byte("0"), 0o644)
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for _, d := range slices.Backward(dirs) {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// command runs a host tool and returns its output in the error.
func command(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
