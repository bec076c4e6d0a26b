#!/usr/bin/env bash
# hack/install.sh PREFIX CHECKOUT: puts kubectl-build and kubectl-buildkit into PREFIX/bin, where
# kubectl's plugin lookup finds them. Each is a two-line launcher that runs the bundle in CHECKOUT
# with the Node found now (make puts the pinned Node 24 first on PATH), so the plugins keep working
# whatever node comes first on the user's PATH later.
set -euo pipefail
prefix=${1:?usage: hack/install.sh PREFIX CHECKOUT}
checkout=${2:?usage: hack/install.sh PREFIX CHECKOUT}
node=$(command -v node) || { echo "install: no node on PATH (run: make node)" >&2; exit 1; }
major=$("$node" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 24 ] || { echo "install: $node is Node $major; Node 24 or newer is needed (run: make node)" >&2; exit 1; }

mkdir -p "$prefix/bin"
for name in kubectl-build kubectl-buildkit; do
  [ -f "$checkout/dist/$name.js" ] || { echo "install: $checkout/dist/$name.js is missing (run: make build)" >&2; exit 1; }
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$node" "$checkout/dist/$name.js" >"$prefix/bin/$name.tmp"
  chmod 755 "$prefix/bin/$name.tmp"
  mv "$prefix/bin/$name.tmp" "$prefix/bin/$name"
  echo "installed $prefix/bin/$name"
done
