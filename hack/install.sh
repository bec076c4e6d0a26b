#!/usr/bin/env bash
# hack/install.sh PREFIX CHECKOUT: puts kubectl-build, kubectl-buildkit and kubectl-trust into PREFIX/bin, where
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
write() { # write FILE CONTENT: atomically, executable
  printf '%s' "$2" >"$1.tmp" && chmod 755 "$1.tmp" && mv "$1.tmp" "$1"
  echo "installed $1"
}
# Node runs as in the single executable: with hack/lib/sea.ts's V8_FLAGS (why: there).
for name in kubectl-build kubectl-buildkit kubectl-trust; do
  [ -f "$checkout/dist/$name.js" ] || { echo "install: $checkout/dist/$name.js is missing (run: make build)" >&2; exit 1; }
  write "$prefix/bin/$name" "#!/bin/sh
exec \"$node\" --max-semi-space-size=1 \"$checkout/dist/$name.js\" \"\$@\"
"
  # kubectl's completion of plugin commands (kubectl 1.26+): candidates one a line, then cobra's
  # directive (:0 lets the shell complete file names too, which paths and -f need).
  write "$prefix/bin/kubectl_complete-${name#kubectl-}" "#!/bin/sh
\"$node\" \"$checkout/dist/$name.js\" --get-yargs-completions \"\$@\" 2>/dev/null
echo :0
"
done
