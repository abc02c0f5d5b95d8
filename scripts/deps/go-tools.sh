#!/usr/bin/env bash
# Builds the Go binaries the harness runs (kube-apiserver, kubectl, etcd, helm, kwok)
# from the Go module proxy with the machine's Go toolchain, pinned, and caches them
# per version outside the working tree, so a fresh clone on the same machine reuses them.
#
# Usage: scripts/deps/go-tools.sh [tool ...]   (default: all)
# Prints the cache's bin directory on the last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

CACHE_ROOT="${CREWGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crewgate}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=0

log() { printf '[deps %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# staging_version v1.36.3 -> v0.36.3: every k8s.io staging module is tagged v0.<minor>.<patch>.
staging_version() { echo "v0.${1#v1.}"; }

# build_in_module NAME VERSION_DIR MODULE_REQUIRE PACKAGE [LDFLAGS] [EXTRA_GO_MOD]
# Builds PACKAGE inside a throwaway module that requires MODULE_REQUIRE, into VERSION_DIR/NAME.
build_in_module() {
  local name="$1" out_dir="$2" require="$3" package="$4" ldflags="${5:-}" extra="${6:-}"
  if [ -x "$out_dir/$name" ]; then
    log "$name: cached at $out_dir/$name"
    return
  fi
  local started work
  started=$(date +%s)
  work=$(mktemp -d)
  mkdir -p "$out_dir"
  log "$name: building $package ($require) — a cold build takes minutes"
  (
    cd "$work"
    go mod init crewgate.dev/throwaway/"$name" >/dev/null 2>&1
    go mod edit -require="$require"
    if [ -n "$extra" ]; then printf '%s\n' "$extra" >>go.mod; fi
    # -mod=mod lets the build resolve the rest of the dependency graph into this throwaway go.mod.
    go build -mod=mod -trimpath -ldflags "-s -w $ldflags" -o "$out_dir/$name.partial" "$package"
  ) || { rm -rf "$work"; log "$name: build failed"; return 1; }
  rm -rf "$work"
  mv "$out_dir/$name.partial" "$out_dir/$name"
  log "$name: built in $(( $(date +%s) - started ))s"
}

kubernetes_replaces() {
  # The kubernetes module's own go.mod replaces every staging module with ./staging/...;
  # outside its tree those must point at the published v0.x tags instead.
  local gomod staging
  staging=$(staging_version "$KUBERNETES_VERSION")
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  echo "replace ("
  grep -E '=> \./staging/src/' "$gomod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
}

build_kubernetes() {
  local dir="$CACHE_ROOT/kubernetes-$KUBERNETES_VERSION"
  local ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitTreeState=clean"
  local replaces
  if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kubectl" ]; then
    log "kube-apiserver, kubectl: cached in $dir"
    return
  fi
  replaces=$(kubernetes_replaces)
  build_in_module kube-apiserver "$dir" "k8s.io/kubernetes@$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kube-apiserver "$ldflags" "$replaces"
  build_in_module kubectl "$dir" "k8s.io/kubernetes@$KUBERNETES_VERSION" k8s.io/kubernetes/cmd/kubectl "$ldflags" "$replaces"
}

build_etcd() {
  build_in_module etcd "$CACHE_ROOT/etcd-$ETCD_VERSION" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" go.etcd.io/etcd/server/v3 ""
}

build_helm() {
  build_in_module helm "$CACHE_ROOT/helm-$HELM_VERSION" "helm.sh/helm/v3@$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
}

build_kwok() {
  build_in_module kwok "$CACHE_ROOT/kwok-$KWOK_VERSION" "sigs.k8s.io/kwok@$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(kubernetes etcd helm kwok)
for tool in "${tools[@]}"; do "build_$tool"; done

# One directory of links, so callers need a single PATH entry.
bin="$CACHE_ROOT/bin-k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
mkdir -p "$bin"
for f in "$CACHE_ROOT"/kubernetes-"$KUBERNETES_VERSION"/* "$CACHE_ROOT"/etcd-"$ETCD_VERSION"/* "$CACHE_ROOT"/helm-"$HELM_VERSION"/* "$CACHE_ROOT"/kwok-"$KWOK_VERSION"/*; do
  [ -x "$f" ] && ln -sf "$f" "$bin/$(basename "$f")"
done
echo "$bin"
