#!/usr/bin/env bash
# The main job, end to end on this machine: bring up the local stack, build the example app, push
# it, sign the pushed digest with a throwaway key, and verify the signature with cosign v2 and v3.
#
# The build runs `kubectl build` through kubectl's plugin lookup (installed into a private prefix).
# Until `kubectl build --sign` lands, the sign step runs the pinned `cosign sign`; the step says so.
# The stack stays up afterwards (hack/local-stack down stops it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
eval "$("$ROOT/hack/tools.sh" env)"

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "local stack: registry (htpasswd auth) + buildkitd (OCI worker), base image seeded"
eval "$("$ROOT/hack/local-stack" up)"
"$ROOT/hack/local-stack" status

work=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-build-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
image="$REGISTRY/demo/hello"
"$ROOT/hack/install.sh" "$work/prefix" "$ROOT" >/dev/null
export PATH="$work/prefix/bin:$PATH"

step "kubectl build examples/hello FROM $BASE_IMAGE and push $image:1"
kubectl build --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$image:1" --push \
  --metadata-file "$work/metadata.json" "$ROOT/examples/hello"
digest=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))["containerimage.digest"]' "$work/metadata.json")

step "sign the pushed digest with a throwaway key (cosign sign, until kubectl build --sign lands)"
COSIGN_PASSWORD=$(head -c 24 /dev/urandom | base64)
export COSIGN_PASSWORD
(cd "$work" && cosign-v3 generate-key-pair >/dev/null)
cosign-v3 sign --yes --key "$work/cosign.key" --tlog-upload=false --use-signing-config=false \
  --new-bundle-format=false "$image@$digest"

step "verify with the real cosign, v2 and v3"
for cosign in cosign-v2 cosign-v3; do
  "$cosign" verify --key "$work/cosign.pub" --insecure-ignore-tlog=true "$image@$digest" >"$work/verify.json" 2>"$work/verify.err" \
    || { cat "$work/verify.err" >&2; exit 1; }
  echo "$("$cosign" version 2>/dev/null | awk '/GitVersion/ {print $2}'): verified $(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).length' "$work/verify.json") signature(s) on $image@$digest"
done

step "done in $((SECONDS - started))s; the stack is still up (hack/local-stack status | down)"
