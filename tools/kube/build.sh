#!/usr/bin/env bash
# Builds the control plane the e2e suite (tools/e2e) runs against:
# kube-apiserver, kube-controller-manager and etcd, from the Go modules pinned
# in this directory's go.mod, into a cache directory outside the repository.
#
#   tools/kube/build.sh          build what is missing or has the wrong version
#   tools/kube/build.sh --print  print the cache directory (KUBEBUILDER_ASSETS)
#
# Cache: ${ASM_READY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asm-ready}/kube/v<version>/
# A cold build needs about 21 minutes of CPU time and 2.5 GiB of memory at its
# peak (kube-controller-manager's link); a warm run takes a second.
set -euo pipefail

KUBE_VERSION=v1.37.2          # = the k8s.io/kubernetes requirement in go.mod
ETCD_VERSION=3.7.0            # = the go.etcd.io/etcd/server/v3 requirement in go.mod
# The release date of KUBE_VERSION (from the module proxy), not the build time,
# so two builds of the same version are byte-for-byte the same.
BUILD_DATE=2026-10-27T12:01:04Z

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${ASM_READY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asm-ready}
out=$cache_root/kube/$KUBE_VERSION

if [[ ${1:-} == --print ]]; then
	echo "$out"
	exit 0
elif [[ $# -gt 0 ]]; then
	echo "build.sh: unknown argument '$1'; allowed: none or --print" >&2
	exit 2
fi

# gitVersion is what `kubectl version` and Helm's Capabilities.KubeVersion
# report; without it the binaries claim v0.0.0-master and charts with a
# kubeVersion constraint refuse to install.
major=${KUBE_VERSION#v}; major=${major%%.*}
minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	version_ldflags+=" -X '$pkg.gitVersion=$KUBE_VERSION'"
	version_ldflags+=" -X '$pkg.gitMajor=$major' -X '$pkg.gitMinor=$minor'"
	version_ldflags+=" -X '$pkg.gitTreeState=clean' -X '$pkg.buildDate=$BUILD_DATE'"
	# The module zip carries no commit; say so rather than keep "$Format:%H$".
	version_ldflags+=" -X '$pkg.gitCommit=module-$KUBE_VERSION'"
done

# name|package|ldflags|the --version output that proves the binary is current
targets=(
	"etcd|go.etcd.io/etcd/server/v3||etcd Version: $ETCD_VERSION"
	"kube-apiserver|k8s.io/kubernetes/cmd/kube-apiserver|$version_ldflags|Kubernetes $KUBE_VERSION"
	"kube-controller-manager|k8s.io/kubernetes/cmd/kube-controller-manager|$version_ldflags|Kubernetes $KUBE_VERSION"
)

current() { # binary, expected first line of --version
	[[ -x $1 ]] && [[ $("$1" --version 2>/dev/null | head -n1) == "$2" ]]
}

mkdir -p "$out"
tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

timer=()
if [[ -x /usr/bin/time ]]; then
	# GNU time: the peak is that of the largest single process (compile or link).
	timer=(/usr/bin/time -f "  %e s wall, %M KiB peak RSS")
fi

for t in "${targets[@]}"; do
	IFS='|' read -r name pkg ldflags want <<<"$t"
	if current "$out/$name" "$want"; then
		echo "$name: current ($want) in $out"
		continue
	fi
	echo "$name: building $pkg ($want) ..."
	# CGO off: static binaries, as the Kubernetes release builds them. Build into
	# a temporary directory and rename, so an interrupted build never leaves a
	# half-written binary where the suite looks.
	GOWORK=off CGO_ENABLED=0 "${timer[@]}" go build -C "$here" -mod=readonly -trimpath \
		-ldflags "-s -w $ldflags" -o "$tmp/$name" "$pkg"
	if ! current "$tmp/$name" "$want"; then
		echo "build.sh: $name reports '$("$tmp/$name" --version 2>&1 | head -n1)', want '$want'" >&2
		exit 1
	fi
	mv -f "$tmp/$name" "$out/$name"
done
echo "KUBEBUILDER_ASSETS=$out"
