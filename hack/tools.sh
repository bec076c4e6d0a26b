#!/usr/bin/env bash
# Installs every pinned peer the project needs (versions in hack/versions.env) and tells how to use them.
#
#   hack/tools.sh install        apt packages, Node 24 if the machine's is older, Go-built peers (in parallel)
#   hack/tools.sh install node   only Node 24 (all that building the product needs)
#   hack/tools.sh node-dist P..  Node $NODE_VERSION for each platform P (linux-x64, linux-arm64), for make release;
#                                prints their folders
#   hack/tools.sh env            prints the `export PATH=...` line that puts every pinned tool first on PATH
#   hack/tools.sh bindir         prints the folder that holds them
#   hack/tools.sh check          exits 0 when everything is installed, without installing anything
#
# Idempotent: a second run with everything cached only checks and relinks, in seconds. Builds land in
# a cache outside the checkout ($KUBECTL_BUILD_CACHE, default ~/.cache/kubectl-build), one folder per
# tool and version, so switching a pin back and forth never rebuilds.
set -euo pipefail

HACK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$HACK/versions.env"
CACHE=${KUBECTL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-build}
TOOLS=$CACHE/tools
BIN=$CACHE/bin
LOGS=$CACHE/logs

say() { printf '[tools] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- Debian packages -------------------------------------------------------------------------------
missing_apt_packages() {
  local pkg
  for pkg in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || printf '%s ' "$pkg"
  done
}

install_apt() {
  local missing
  missing=$(missing_apt_packages)
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "apt packages missing ($missing) and not root: run as root or install them"
  say "apt-get install $missing"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log" >&2; die "apt-get update failed"; }
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >>"$LOGS/apt.log" 2>&1 \
    || { tail -20 "$LOGS/apt.log" >&2; die "apt-get install failed (log: $LOGS/apt.log)"; }
  # Debian starts the packaged registry as a system service on :5000; the project starts its own
  # registries on free ports, so the packaged one is only in the way.
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
}

# --- Emulation ---------------------------------------------------------------------------------
# Registers qemu-user-static's interpreters with the kernel, so that buildkitd can RUN steps of
# other architectures. Debian ships the definitions (with the F flag: the interpreter is opened
# now and works inside containers) but registers them only through systemd, which may not run here.
QEMU_ARCHES="aarch64 arm riscv64 ppc64le s390x"
register_binfmt() {
  local binfmt=/proc/sys/fs/binfmt_misc arch
  [ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null \
    || { say "warning: binfmt_misc is not available; RUN steps of other architectures will fail"; return 0; }
  for arch in $QEMU_ARCHES; do
    [ -e "$binfmt/qemu-$arch" ] || [ ! -f "/usr/lib/binfmt.d/qemu-$arch.conf" ] || cat "/usr/lib/binfmt.d/qemu-$arch.conf" >"$binfmt/register"
  done
}

# --- Node.js ---------------------------------------------------------------------------------------
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# The machine's own node, ignoring the one we may have linked into $BIN.
system_node() {
  PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd:) command -v node || true
}

# fetch_node PLATFORM [VERSION]: Node VERSION (default $NODE_VERSION) for linux-x64 or linux-arm64,
# unpacked from the npm registry's node-PLATFORM package (the official binary ships inside it) into
# the cache; prints its folder.
fetch_node() {
  local platform=$1 version=${2:-$NODE_VERSION} dir tmp
  dir=$TOOLS/node-$platform-$version
  if [ ! -x "$dir/bin/node" ]; then
    say "node $version ($platform) from the npm registry"
    tmp=$(mktemp -d "$TOOLS/.node.XXXXXX")
    (cd "$tmp" && npm pack --silent "node-$platform@$version" >/dev/null 2>"$LOGS/node-$version.log") \
      || { rm -rf "$tmp"; die "npm pack node-$platform@$version failed (log: $LOGS/node-$version.log)"; }
    tar -xzf "$tmp/node-$platform-$version.tgz" -C "$tmp"
    rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
  fi
  echo "$dir"
}

host_node_platform() {
  case "$(uname -m)" in
    x86_64) echo linux-x64 ;;
    aarch64 | arm64) echo linux-arm64 ;;
    *) die "no Node $NODE_VERSION build for $(uname -m) on the npm registry" ;;
  esac
}

install_node() {
  local want_major=${NODE_VERSION%%.*} machine dir
  machine=$(system_node)
  if [ -n "$machine" ] && [ "$(node_major "$machine")" -ge "$want_major" ]; then
    rm -f "$BIN/node"
    return 0
  fi
  dir=$(fetch_node "$(host_node_platform)")
  ln -sfn "$dir/bin/node" "$BIN/node"
}

# The Node a user on Debian 12 meets (a test peer, never on PATH as node): the tests show that the
# plugins refuse it in one sentence, on every machine instead of only on those that happen to have it.
install_old_node() {
  ln -sfn "$(fetch_node "$(host_node_platform)" "$OLD_NODE_VERSION")/bin/node" "$BIN/node-old"
}

# --- Python peers -----------------------------------------------------------------------------
# moto's AWS-compatible server (KMS for awskms:// keys), in a venv keyed by version.
install_moto() {
  local dir=$TOOLS/moto-$MOTO_VERSION
  if [ ! -x "$dir/bin/moto_server" ]; then
    say "moto $MOTO_VERSION from PyPI (log: $LOGS/moto.log)"
    rm -rf "$dir.tmp"
    { python3 -m venv "$dir.tmp" && "$dir.tmp/bin/pip" install -q "moto[server]==$MOTO_VERSION"; } >"$LOGS/moto.log" 2>&1 \
      || { tail -15 "$LOGS/moto.log" >&2; rm -rf "$dir.tmp"; die "installing moto failed"; }
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    # A venv's scripts name their interpreter by absolute path: rewrite it for the final folder.
    sed -i "1s|$dir.tmp|$dir|" "$dir"/bin/moto_server "$dir"/bin/pip*
    sed -i "s|$dir.tmp|$dir|g" "$dir/pyvenv.cfg" "$dir"/bin/activate* 2>/dev/null || true
  fi
  ln -sf "$dir/bin/moto_server" "$BIN/moto_server"
}

# --- Go-built peers --------------------------------------------------------------------------------
# go_build NAME MODULE@VERSION "PKG..." "LDFLAGS" [TAGS]: builds the packages from the module's own
# source (so replace/exclude directives in its go.mod are honoured) into $TOOLS/NAME-VERSION.
go_build() {
  local name=$1 modver=$2 pkgs=$3 ldflags=$4 tags=${5:-} version=${2##*@}
  local out=$TOOLS/$name-$version pkg
  local ok=1
  for pkg in $pkgs; do [ -x "$out/$(basename "$pkg")" ] || ok=0; done
  [ $ok = 1 ] && return 0
  say "building $name $version from the Go module proxy (log: $LOGS/$name.log)"
  {
    local dir
    dir=$(GOFLAGS=-mod=mod go mod download -json "$modver" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -n "$dir" ] || { echo "go mod download $modver gave no directory"; return 1; }
    local tmp
    tmp=$(mktemp -d "$TOOLS/.$name.XXXXXX")
    # shellcheck disable=SC2086
    (cd "$dir" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
      go build -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$tmp/" $pkgs) || { rm -rf "$tmp"; return 1; }
    rm -rf "$out" && mv "$tmp" "$out"
  } >"$LOGS/$name.log" 2>&1
}

# build_wrapper NAME [LDFLAGS]: one of our own small wrapper modules (hack/NAME: a main package whose
# go.mod pins an upstream library), keyed by the hash of its sources; prints the output folder.
build_wrapper() {
  local name=$1 ldflags=${2:-} src=$HACK/$1 hash out
  hash=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-12)
  out=$TOOLS/$name-$hash
  if [ ! -x "$out/$name" ]; then
    say "building $name from hack/$name (log: $LOGS/$name.log)"
    (cd "$src" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
      go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp/$name" .) >"$LOGS/$name.log" 2>&1 || return 1
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# --- The local cluster's peers ---------------------------------------------------------------------
# etcd 3.5 from Debian trixie's .deb, unpacked (not installed: bookworm's apt would refuse the suite).
install_etcd() {
  local version=${ETCD_DEB##*/etcd-server_} dir
  version=${version%_amd64.deb}
  dir=$TOOLS/etcd-$version
  if [ ! -x "$dir/etcd" ]; then
    say "etcd $version from deb.debian.org (trixie)"
    local tmp
    tmp=$(mktemp -d "$TOOLS/.etcd.XXXXXX")
    curl -fsSL -o "$tmp/etcd.deb" "http://deb.debian.org/debian/$ETCD_DEB" || { rm -rf "$tmp"; die "downloading $ETCD_DEB failed"; }
    echo "$ETCD_DEB_SHA256  $tmp/etcd.deb" | sha256sum -c --quiet - || { rm -rf "$tmp"; die "$ETCD_DEB: checksum mismatch"; }
    dpkg -x "$tmp/etcd.deb" "$tmp/root"
    mkdir -p "$tmp/out" && cp "$tmp/root/usr/bin/etcd" "$tmp/out/etcd"
    rm -rf "$dir" && mv "$tmp/out" "$dir" && rm -rf "$tmp"
  fi
  ln -sf "$dir/etcd" "$BIN/etcd"
}

# The server binaries, through the wrapper module hack/kubernetes (see versions.env); kube-proxy
# makes Services work (webhooks, the in-cluster API address).
KUBE_SERVER_CMDS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
build_kubernetes() {
  local out=$TOOLS/kubernetes-$KUBERNETES_SERVER_VERSION kv=k8s.io/component-base/version cmd ok=1 pkgs=""
  local minor=${KUBERNETES_SERVER_VERSION#v1.}
  grep -q "k8s.io/kubernetes $KUBERNETES_SERVER_VERSION\$" "$HACK/kubernetes/go.mod" \
    || die "hack/kubernetes/go.mod does not require k8s.io/kubernetes $KUBERNETES_SERVER_VERSION (versions.env)"
  for cmd in $KUBE_SERVER_CMDS; do [ -x "$out/$cmd" ] || ok=0; pkgs+=" k8s.io/kubernetes/cmd/$cmd"; done
  [ $ok = 1 ] && return 0
  say "building kubernetes $KUBERNETES_SERVER_VERSION server binaries (log: $LOGS/kubernetes.log)"
  # shellcheck disable=SC2086
  (cd "$HACK/kubernetes" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $kv.gitVersion=$KUBERNETES_SERVER_VERSION -X $kv.gitMajor=1 -X $kv.gitMinor=${minor%%.*}" \
    -o "$out.tmp/" $pkgs) >"$LOGS/kubernetes.log" 2>&1 || return 1
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# policy-controller's admission webhook and its policy-tester, built in a writable copy of the module:
# two of its requirements are pseudo-versions the Go proxy refuses, replaced by a served one. The
# module's config/ folder (the manifests hack/lib/policy-controller.ts deploys) is linked beside them.
POLICY_CONTROLLER_REPLACES="github.com/google/go-containerregistry/pkg/authn/k8schain github.com/google/go-containerregistry/pkg/authn/kubernetes"
POLICY_CONTROLLER_REPLACE_VERSION=v0.0.0-20260205022027-93aa2732266a
build_policy_controller() {
  local mod=github.com/sigstore/policy-controller@$POLICY_CONTROLLER_VERSION out=$TOOLS/policy-controller-$POLICY_CONTROLLER_VERSION
  local log=$LOGS/policy-controller.log dir tmp path
  [ -x "$out/webhook" ] && [ -x "$out/tester" ] && [ -d "$out/config/" ] && return 0
  dir=$(GOFLAGS=-mod=mod go mod download -json "$mod" 2>"$log" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { say "go mod download $mod failed (log: $log)"; return 1; }
  if [ ! -x "$out/webhook" ] || [ ! -x "$out/tester" ]; then
    say "building policy-controller $POLICY_CONTROLLER_VERSION from the Go module proxy (log: $log)"
    {
      tmp=$(mktemp -d "$TOOLS/.policy-controller.XXXXXX")
      cp -r "$dir" "$tmp/src" && chmod -R u+w "$tmp/src"
      for path in $POLICY_CONTROLLER_REPLACES; do
        (cd "$tmp/src" && go mod edit -replace "$path=$path@$POLICY_CONTROLLER_REPLACE_VERSION") || { rm -rf "$tmp"; return 1; }
      done
      (cd "$tmp/src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$POLICY_CONTROLLER_VERSION" -o "$tmp/out/" ./cmd/webhook ./cmd/tester) \
        || { rm -rf "$tmp"; return 1; }
      rm -rf "$out" && mv "$tmp/out" "$out" && rm -rf "$tmp"
    } >"$log" 2>&1 || return 1
  fi
  ln -sfn "$dir/config" "$out/config"
}

# --- Local Sigstore (keyless signing) --------------------------------------------------------------
# Trillian's servers, plus the MySQL schema of the same version beside them (hack/lib/trillian.ts
# loads it into a fresh MariaDB).
TRILLIAN_CMDS="trillian_log_server trillian_log_signer createtree"
build_trillian() {
  local mod=github.com/google/trillian@$TRILLIAN_VERSION out=$TOOLS/trillian-$TRILLIAN_VERSION dir
  go_build trillian "$mod" "./cmd/trillian_log_server ./cmd/trillian_log_signer ./cmd/createtree" "" || return 1
  [ -f "$out/storage.sql" ] && return 0
  dir=$(GOFLAGS=-mod=mod go mod download -json "$mod" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp "$dir/storage/mysql/schema/storage.sql" "$out/storage.sql.tmp" && mv "$out/storage.sql.tmp" "$out/storage.sql"
}

# A module's source, for the data it publishes (CRD schemas): downloaded, linked as $TOOLS/NAME-VERSION.
fetch_module_source() {
  local name=$1 mod=$2 version=$3 dir
  [ -d "$TOOLS/$name-$version" ] && return 0
  dir=$(GOFLAGS=-mod=mod go mod download -json "$mod@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || die "go mod download $mod@$version gave no directory"
  ln -sfn "$dir" "$TOOLS/$name-$version"
}

build_go_peers() {
  local bk=github.com/moby/buildkit cosign_ld=sigs.k8s.io/release-utils/version.gitVersion
  local kv=k8s.io/component-base/version minor=${KUBERNETES_VERSION#v1.}
  local kubectl_ld="-X $kv.gitVersion=$KUBERNETES_VERSION -X $kv.gitMajor=1 -X $kv.gitMinor=${minor%%.*}"
  local -A pids=()
  go_build buildkit "$bk@$BUILDKIT_VERSION" "./cmd/buildkitd ./cmd/buildctl" \
    "-X $bk/version.Version=$BUILDKIT_VERSION -X $bk/version.Package=$bk" "osusergo netgo static_build seccomp" &
  pids[buildkit]=$!
  go_build cosign-v2 "github.com/sigstore/cosign/v2@$COSIGN_V2_VERSION" ./cmd/cosign "-X $cosign_ld=$COSIGN_V2_VERSION" &
  pids[cosign-v2]=$!
  go_build cosign-v3 "github.com/sigstore/cosign/v3@$COSIGN_V3_VERSION" ./cmd/cosign "-X $cosign_ld=$COSIGN_V3_VERSION" &
  pids[cosign-v3]=$!
  build_wrapper oci-registry >/dev/null &
  pids[oci-registry]=$!
  build_wrapper kubectl "$kubectl_ld" >/dev/null &
  pids[kubectl]=$!
  build_wrapper buildx-diff >/dev/null &
  pids[buildx-diff]=$!
  build_kubernetes &
  pids[kubernetes]=$!
  go_build rootlesskit "github.com/rootless-containers/rootlesskit/v2@$ROOTLESSKIT_VERSION" ./cmd/rootlesskit "" &
  pids[rootlesskit]=$!
  build_trillian &
  pids[trillian]=$!
  build_policy_controller &
  pids[policy-controller]=$!
  go_build ctfe "github.com/google/certificate-transparency-go@$CT_GO_VERSION" ./trillian/ctfe/ct_server "" &
  pids[ctfe]=$!
  go_build rekor "github.com/sigstore/rekor@$REKOR_VERSION" ./cmd/rekor-server "-X $cosign_ld=$REKOR_VERSION" &
  pids[rekor]=$!
  go_build krew "sigs.k8s.io/krew@$KREW_VERSION" "./cmd/krew ./cmd/validate-krew-manifest" "-X sigs.k8s.io/krew/internal/version.gitTag=$KREW_VERSION" &
  pids[krew]=$!
  # Fulcio's main package is its module root; named by import path so the binary is called fulcio.
  go_build fulcio "github.com/sigstore/fulcio@$FULCIO_VERSION" github.com/sigstore/fulcio "-X $cosign_ld=$FULCIO_VERSION" &
  pids[fulcio]=$!
  # The server only (its CLI is not needed: the harness speaks its HTTP API).
  go_build toxiproxy "github.com/Shopify/toxiproxy/v2@$TOXIPROXY_VERSION" ./cmd/server "-X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION" &
  pids[toxiproxy]=$!
  local name failed=""
  for name in "${!pids[@]}"; do
    wait "${pids[$name]}" || { failed+=" $name"; tail -15 "$LOGS/$name.log" >&2; }
  done
  [ -z "$failed" ] || die "build failed:$failed (logs in $LOGS)"
  fetch_module_source kyverno github.com/kyverno/kyverno "$KYVERNO_VERSION"

  ln -sf "$TOOLS/buildkit-$BUILDKIT_VERSION/buildkitd" "$BIN/buildkitd"
  ln -sf "$TOOLS/buildkit-$BUILDKIT_VERSION/buildctl" "$BIN/buildctl"
  ln -sf "$TOOLS/cosign-v2-$COSIGN_V2_VERSION/cosign" "$BIN/cosign-v2"
  ln -sf "$TOOLS/cosign-v3-$COSIGN_V3_VERSION/cosign" "$BIN/cosign-v3"
  ln -sf "$TOOLS/cosign-v3-$COSIGN_V3_VERSION/cosign" "$BIN/cosign"
  ln -sf "$(build_wrapper oci-registry)/oci-registry" "$BIN/oci-registry"
  ln -sf "$(build_wrapper kubectl "$kubectl_ld")/kubectl" "$BIN/kubectl"
  ln -sf "$(build_wrapper buildx-diff)/buildx-diff" "$BIN/buildx-diff"
  local cmd
  for cmd in $KUBE_SERVER_CMDS; do ln -sf "$TOOLS/kubernetes-$KUBERNETES_SERVER_VERSION/$cmd" "$BIN/$cmd"; done
  ln -sf "$TOOLS/rootlesskit-$ROOTLESSKIT_VERSION/rootlesskit" "$BIN/rootlesskit"
  ln -sf "$TOOLS/policy-controller-$POLICY_CONTROLLER_VERSION/webhook" "$BIN/policy-controller-webhook"
  ln -sf "$TOOLS/policy-controller-$POLICY_CONTROLLER_VERSION/tester" "$BIN/policy-tester"
  for cmd in $TRILLIAN_CMDS; do ln -sf "$TOOLS/trillian-$TRILLIAN_VERSION/$cmd" "$BIN/$cmd"; done
  ln -sf "$TOOLS/ctfe-$CT_GO_VERSION/ct_server" "$BIN/ct_server"
  ln -sf "$TOOLS/rekor-$REKOR_VERSION/rekor-server" "$BIN/rekor-server"
  ln -sf "$TOOLS/fulcio-$FULCIO_VERSION/fulcio" "$BIN/fulcio"
  ln -sf "$TOOLS/toxiproxy-$TOXIPROXY_VERSION/server" "$BIN/toxiproxy-server"
  ln -sf "$TOOLS/krew-$KREW_VERSION/krew" "$BIN/kubectl-krew"
  ln -sf "$TOOLS/krew-$KREW_VERSION/validate-krew-manifest" "$BIN/validate-krew-manifest"
}

check() {
  local tool missing=""
  [ -z "$(missing_apt_packages)" ] || missing+=" apt:($(missing_apt_packages))"
  for tool in buildkitd buildctl cosign-v2 cosign-v3 oci-registry kubectl buildx-diff moto_server etcd rootlesskit $KUBE_SERVER_CMDS \
    $TRILLIAN_CMDS ct_server rekor-server fulcio toxiproxy-server kubectl-krew validate-krew-manifest policy-controller-webhook policy-tester; do
    [ -x "$BIN/$tool" ] || missing+=" $tool"
  done
  local node_bin=$BIN/node
  [ -x "$node_bin" ] || node_bin=$(command -v node || echo /nonexistent)
  [ "$(node_major "$node_bin")" -ge "${NODE_VERSION%%.*}" ] || missing+=" node-${NODE_VERSION%%.*}"
  [ -x "$BIN/node-old" ] || missing+=" node-old"
  [ -d "$TOOLS/kyverno-$KYVERNO_VERSION/config/crds" ] || missing+=" kyverno-crds"
  [ -d "$TOOLS/policy-controller-$POLICY_CONTROLLER_VERSION/config/" ] || missing+=" policy-controller-config"
  [ -z "$missing" ] || { say "missing:$missing (run hack/tools.sh install)"; return 1; }
}

case "${1:-}" in
  install)
    mkdir -p "$TOOLS" "$BIN" "$LOGS"
    if [ "${2:-all}" = node ]; then install_node; exit 0; fi
    command -v go >/dev/null || die "Go is needed to build the test peers (BuildKit, cosign, registry)"
    # One installer at a time: make test and make demo may both call us.
    exec 9>"$CACHE/install.lock"
    flock 9
    start=$SECONDS
    install_apt
    register_binfmt
    install_node
    install_old_node
    install_etcd
    install_moto &
    moto_pid=$!
    build_go_peers
    wait "$moto_pid" || die "installing moto failed (log: $LOGS/moto.log)"
    say "all pinned tools ready in $((SECONDS - start))s; use: eval \"\$(hack/tools.sh env)\""
    ;;
  node-dist)
    mkdir -p "$TOOLS" "$LOGS"
    shift
    for platform in "$@"; do fetch_node "$platform"; done
    ;;
  bindir)
    echo "$BIN"
    ;;
  env)
    # shellcheck disable=SC2016 # $PATH is for the shell that evaluates this line to expand.
    printf 'export PATH="%s:$PATH"\n' "$BIN"
    ;;
  check)
    check
    ;;
  *)
    echo "usage: hack/tools.sh install [node]|node-dist PLATFORM...|env|bindir|check" >&2
    exit 2
    ;;
esac
