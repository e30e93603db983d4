// Package cluster runs a real Kubernetes control plane for tests: etcd and
// kube-apiserver through controller-runtime's envtest, and
// kube-controller-manager beside them so Deployments get ReplicaSets and Pods
// (admitted or refused by Pod Security for real) and namespaces get their
// `default` ServiceAccount.
package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KubeVersion is the control plane version tools/kube/build.sh builds; keep
// the two in step.
const KubeVersion = "v1.37.2"

// Binaries the suite needs in the assets directory.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// BuildCommand is what a user runs to fill the assets directory.
const BuildCommand = "make kube-bins (tools/kube/build.sh)"

// AssetsDir returns where the control plane binaries live: KUBEBUILDER_ASSETS
// when set (envtest's own convention), else the cache directory build.sh
// writes: ${ASM_READY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asm-ready}/kube/<version>.
func AssetsDir(getenv func(string) string) (string, error) {
	if dir := getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root := getenv("ASM_READY_CACHE")
	if root == "" {
		cache := getenv("XDG_CACHE_HOME")
		if cache == "" {
			home := getenv("HOME")
			if home == "" {
				return "", fmt.Errorf("cannot locate the control plane cache: set KUBEBUILDER_ASSETS, ASM_READY_CACHE, XDG_CACHE_HOME or HOME")
			}
			cache = filepath.Join(home, ".cache")
		}
		root = filepath.Join(cache, "asm-ready")
	}
	return filepath.Join(root, "kube", KubeVersion), nil
}

// CheckAssets returns an error naming every binary missing from dir (or not
// executable) and the command that builds them.
func CheckAssets(dir string) error {
	var missing []string
	for _, name := range Binaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("control plane binaries missing from %s: %s; build them with %s, or point KUBEBUILDER_ASSETS at a directory holding them",
			dir, strings.Join(missing, ", "), BuildCommand)
	}
	return nil
}
