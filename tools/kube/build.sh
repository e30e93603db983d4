#!/usr/bin/env bash
# Builds, from pinned Go modules, every binary the test node (tools/cluster)
# runs, into a cache directory outside the repository:
#
#   kube/<KUBE_VERSION>/  from go.mod: etcd, kube-apiserver,
#                         kube-controller-manager, kube-scheduler, kubelet,
#                         kube-proxy and kubectl
#   node/<key>/           from node/go.mod: containerd, containerd-shim-runc-v2,
#                         ctr, runc, the CNI plugins bridge, host-local, loopback
#                         and portmap, CoreDNS (node/coredns), buildkitd,
#                         buildctl and dockerfile-frontend; and pause
#                         (tools/cluster/pause). <key> is a hash of everything
#                         they are built from, so a change rebuilds them.
#
#   tools/kube/build.sh          build what is missing
#   tools/kube/build.sh --print  print both directories, one a line
#
# Cache: ${ASM_READY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asm-ready}/
# The two modules build side by side (two `go build`s share the cores); a
# warm run takes a second. Costs: tools/cluster/README.md.
set -euo pipefail

KUBE_VERSION=v1.37.2          # = the k8s.io/kubernetes requirement in go.mod
ETCD_VERSION=3.7.0            # = the go.etcd.io/etcd/server/v3 requirement in go.mod
# The release date of KUBE_VERSION (from the module proxy), not the build time,
# so two builds of the same version are byte-for-byte the same.
BUILD_DATE=2026-10-27T12:01:04Z
# = the requirements in node/go.mod; stamped where the module zip cannot say.
CONTAINERD_VERSION=v2.4.2
CNI_PLUGINS_VERSION=v1.10.0
BUILDKIT_VERSION=v0.34.2
RUNC_VERSION=1.5.3            # runc embeds its VERSION file; checked only
COREDNS_VERSION=1.15.0        # CoreDNS's coremain constant; checked only

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools=$(dirname "$here")
cache_root=${ASM_READY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asm-ready}
kube_out=$cache_root/kube/$KUBE_VERSION
node_key=$(cat "$here/node/go.mod" "$here/node/go.sum" "$here/node/coredns/main.go" \
	"$tools/cluster/pause/main.go" | sha256sum | cut -c1-16)
node_out=$cache_root/node/$node_key

case ${1:-} in
--print) printf '%s\n%s\n' "$kube_out" "$node_out"; exit 0 ;;
"") ;;
*) echo "build.sh: unknown argument '$1'; allowed: none or --print" >&2; exit 2 ;;
esac

# gitVersion is what `kubectl version` and Helm's Capabilities.KubeVersion
# report; without it the binaries claim v0.0.0-master and charts with a
# kubeVersion constraint refuse to install.
major=${KUBE_VERSION#v}; major=${major%%.*}
minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
kube_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X '$pkg.gitVersion=$KUBE_VERSION'"
	kube_ldflags+=" -X '$pkg.gitMajor=$major' -X '$pkg.gitMinor=$minor'"
	kube_ldflags+=" -X '$pkg.gitTreeState=clean' -X '$pkg.buildDate=$BUILD_DATE'"
	# The module zip carries no commit; say so rather than keep "$Format:%H$".
	kube_ldflags+=" -X '$pkg.gitCommit=module-$KUBE_VERSION'"
done

# name|package|version argument|the first line it prints when current
kube_targets=(
	"etcd|go.etcd.io/etcd/server/v3|--version|etcd Version: $ETCD_VERSION"
	"kubectl|k8s.io/kubernetes/cmd/kubectl|version --client|Client Version: $KUBE_VERSION"
)
for name in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
	kube_targets+=("$name|k8s.io/kubernetes/cmd/$name|--version|Kubernetes $KUBE_VERSION")
done

timer=()
if [[ -x /usr/bin/time ]]; then
	# GNU time: the peak is that of the largest single process (compile or link).
	timer=(/usr/bin/time -f "  %e s wall, %U s user, %M KiB peak RSS")
fi

# gobuild MODULE_DIR OUT_DIR CGO TAGS LDFLAGS PACKAGE... builds several
# commands in one `go build`, which compiles their shared packages once.
# The binary of a package path ending in /vN is named after the element
# before it (go.etcd.io/etcd/server/v3 -> server).
gobuild() {
	local dir=$1 out=$2 cgo=$3 tags=$4 ldflags=$5
	shift 5
	echo "building in $dir: $*"
	GOWORK=off CGO_ENABLED=$cgo "${timer[@]}" go build -C "$dir" -mod=readonly -trimpath \
		-tags "$tags" -ldflags "-s -w $ldflags" -o "$out/" "$@"
}

# first_line BIN ARGS: the first line BIN prints (ARGS split on spaces).
first_line() { "$1" $2 2>&1 | head -n1; }

build_kube() {
	local tmp pkgs=() t name pkg args want
	mkdir -p "$kube_out"
	tmp=$(mktemp -d "$kube_out/.build.XXXXXX")
	trap 'rm -rf "$tmp"' RETURN
	for t in "${kube_targets[@]}"; do
		IFS='|' read -r name pkg args want <<<"$t"
		if [[ -x $kube_out/$name && $(first_line "$kube_out/$name" "$args") == "$want" ]]; then
			echo "$name: current ($want) in $kube_out"
		else
			pkgs+=("$pkg")
		fi
	done
	[[ ${#pkgs[@]} -gt 0 ]] || return 0
	# CGO off: static binaries, as the Kubernetes release builds them.
	gobuild "$here" "$tmp" 0 "" "$kube_ldflags" "${pkgs[@]}"
	[[ ! -e $tmp/server ]] || mv "$tmp/server" "$tmp/etcd"
	for t in "${kube_targets[@]}"; do
		IFS='|' read -r name pkg args want <<<"$t"
		[[ -e $tmp/$name ]] || continue
		if [[ $(first_line "$tmp/$name" "$args") != "$want" ]]; then
			echo "build.sh: $name reports '$(first_line "$tmp/$name" "$args")', want '$want'" >&2
			return 1
		fi
		# Rename into place: an interrupted build never leaves a half binary.
		mv -f "$tmp/$name" "$kube_out/$name"
	done
}

node_bins=(containerd containerd-shim-runc-v2 ctr runc bridge host-local loopback portmap
	coredns buildkitd buildctl dockerfile-frontend pause)

build_node() {
	local tmp b missing=false
	for b in "${node_bins[@]}"; do [[ -x $node_out/$b ]] || missing=true; done
	if ! $missing; then
		echo "node binaries: current in $node_out"
		return 0
	fi
	mkdir -p "$(dirname "$node_out")"
	tmp=$(mktemp -d "$node_out.build.XXXXXX")
	trap 'rm -rf "$tmp"' RETURN
	# containerd without the btrfs, devmapper and zfs snapshotters (cgo, and
	# unused: the node uses overlayfs).
	gobuild "$here/node" "$tmp" 0 "no_btrfs no_devmapper no_zfs" "\
		-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION \
		-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION \
		-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION" \
		github.com/containerd/containerd/v2/cmd/containerd \
		github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
		github.com/containerd/containerd/v2/cmd/ctr \
		github.com/containernetworking/plugins/plugins/main/bridge \
		github.com/containernetworking/plugins/plugins/main/loopback \
		github.com/containernetworking/plugins/plugins/ipam/host-local \
		github.com/containernetworking/plugins/plugins/meta/portmap \
		./coredns \
		github.com/moby/buildkit/cmd/buildkitd \
		github.com/moby/buildkit/cmd/buildctl \
		github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend
	# runc needs cgo for libseccomp (Debian: libseccomp-dev).
	gobuild "$here/node" "$tmp" 1 seccomp "" github.com/opencontainers/runc
	gobuild "$tools" "$tmp" 0 "" "" ./cluster/pause
	local check name args want
	for check in "containerd|--version|$CONTAINERD_VERSION" "runc|--version|runc version $RUNC_VERSION" \
		"coredns|-version|CoreDNS-$COREDNS_VERSION" "buildkitd|--version|$BUILDKIT_VERSION"; do
		IFS='|' read -r name args want <<<"$check"
		if [[ $(first_line "$tmp/$name" "$args") != *"$want"* ]]; then
			echo "build.sh: $name reports '$(first_line "$tmp/$name" "$args")', want '$want'" >&2
			return 1
		fi
	done
	# Rename into place: an interrupted build never leaves a half binary.
	mkdir -p "$node_out"
	for b in "${node_bins[@]}"; do mv -f "$tmp/$b" "$node_out/$b"; done
}

build_kube & kube_pid=$!
build_node & node_pid=$!
rc=0
wait "$kube_pid" || rc=1
wait "$node_pid" || rc=1
exit $rc
