#!/usr/bin/env bash
# The main job, end to end on this machine: bring up the local stack (a real single-node Kubernetes
# cluster and a registry), create a BuildKit builder in the cluster, build the example app there,
# push it, sign the pushed digest with a throwaway key and keylessly, verify both signatures with
# cosign v2 and v3 and with kubectl trust verify against a policy that requires both signers, show an
# unsigned image refused by that policy, enforce the policy with policy-controller (the signed image
# runs, the unsigned one is refused at admission), and sweep what already runs.
#
# `kubectl build` and `kubectl buildkit` run through kubectl's plugin lookup (installed into a
# private prefix). The stack stays up afterwards (hack/local-stack down stops it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
eval "$("$ROOT/hack/tools.sh" env)"

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "local stack: Kubernetes cluster (hack/cluster), registry (htpasswd auth, base image seeded), Sigstore (Fulcio, Rekor, OIDC issuer), policy-controller"
eval "$("$ROOT/hack/local-stack" up --policy-controller)"
"$ROOT/hack/local-stack" status

work=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-build-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
image="$REGISTRY/demo/hello"
"$ROOT/hack/install.sh" "$work/prefix" "$ROOT" >/dev/null
export PATH="$work/prefix/bin:$PATH"

step "a throwaway signing key (cosign generate-key-pair)"
COSIGN_PASSWORD=$(head -c 24 /dev/urandom | base64)
export COSIGN_PASSWORD
(cd "$work" && cosign-v3 generate-key-pair >/dev/null 2>&1)

step "a builder in the cluster: kubectl buildkit create demo (with a buildkitd.toml for the local registry)"
kubectl buildkit rm demo >/dev/null 2>&1 || true
kubectl buildkit create demo --config "$BUILDKITD_CONFIG"
kubectl buildkit ls

step "kubectl build examples/hello FROM $BASE_IMAGE in the cluster, push $image:1, sign the pushed digest with the key (logged in Rekor)"
# The registry speaks plain HTTP on the node's address: --allow-http-registry, as cosign has it.
kubectl build --builder demo --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$image:1" --push \
  --sign --cosign-key "$work/cosign.key" --rekor-url "$REKOR_URL" --allow-http-registry \
  --metadata-file "$work/metadata.json" "$ROOT/examples/hello"
digest=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))["containerimage.digest"]' "$work/metadata.json")

step "the same build again (all cached: the same digest), signed keylessly: a token from the local OIDC issuer, a certificate from Fulcio"
SIGSTORE_ID_TOKEN=$(curl -fsS -X POST "$OIDC_ISSUER/test/token" | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).id_token')
export SIGSTORE_ID_TOKEN
kubectl build --builder demo --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$image:1" --push \
  --sign --fulcio-url "$FULCIO_URL" --rekor-url "$REKOR_URL" --oidc-issuer "$OIDC_ISSUER" --allow-http-registry \
  --metadata-file "$work/metadata-keyless.json" "$ROOT/examples/hello" 2>"$work/keyless.log" \
  || { cat "$work/keyless.log" >&2; exit 1; }
grep -E '^(pushed|sign:)' "$work/keyless.log"
unset SIGSTORE_ID_TOKEN
keyless_digest=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))["containerimage.digest"]' "$work/metadata-keyless.json")
[ "$keyless_digest" = "$digest" ] || { echo "the second build gave another digest ($keyless_digest)" >&2; exit 1; }

step "verify both signatures with the real cosign, v2 and v3, against the local Sigstore's trusted root"
for cosign in cosign-v2 cosign-v3; do
  "$cosign" verify --key "$work/cosign.pub" --trusted-root "$SIGSTORE_TRUSTED_ROOT" --allow-http-registry \
    "$image@$digest" >"$work/verify.json" 2>"$work/verify.err" || { cat "$work/verify.err" >&2; exit 1; }
  echo "$("$cosign" version 2>/dev/null | awk '/GitVersion/ {print $2}'): the key's signature verifies, with its Rekor entry, on $image@$digest"
  "$cosign" verify --certificate-identity "$SIGSTORE_IDENTITY" --certificate-oidc-issuer "$OIDC_ISSUER" \
    --trusted-root "$SIGSTORE_TRUSTED_ROOT" --allow-http-registry \
    "$image@$digest" >"$work/verify.json" 2>"$work/verify.err" || { cat "$work/verify.err" >&2; exit 1; }
  echo "$("$cosign" version 2>/dev/null | awk '/GitVersion/ {print $2}'): the keyless signature of $SIGSTORE_IDENTITY verifies too"
done

step "kubectl trust verify: a policy that requires both signers (the key and the keyless identity)"
cat >"$work/policy.yaml" <<POLICY
apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
trustedRoot: $SIGSTORE_TRUSTED_ROOT
signers:
  - name: developer
    key: $work/cosign.pub
  - name: ci
    keyless:
      identity: $SIGSTORE_IDENTITY
      issuer: $OIDC_ISSUER
rules:
  - name: demo
    images: ["$REGISTRY/demo/**"]
    require:
      all: [developer, ci]
POLICY
sed 's/^/    /' "$work/policy.yaml"
kubectl trust verify --policy "$work/policy.yaml" --allow-http-registry "$image:1"

step "an unsigned image of the same app ($image:unsigned) is refused by the same policy (exit 1)"
kubectl build --builder demo --progress=quiet --build-arg "BASE_IMAGE=$BASE_IMAGE" --label "demo.unsigned=$RANDOM" \
  -t "$image:unsigned" --push "$ROOT/examples/hello" >/dev/null
status=0
kubectl trust verify --policy "$work/policy.yaml" --allow-http-registry "$image:unsigned" || status=$?
[ "$status" = 1 ] || { echo "the unsigned image was not refused with exit 1 (exit $status)" >&2; exit 1; }
echo "refused, as it should be (exit $status)"

step "enforce the same policy in the cluster: kubectl trust export --to policy-controller --apply, namespace demo-enforced opted in"
kubectl trust export --policy "$work/policy.yaml" --to policy-controller --name kubectl-build-demo --apply
kubectl delete namespace demo-enforced --ignore-not-found >/dev/null
kubectl create namespace demo-enforced >/dev/null
kubectl label namespace demo-enforced policy.sigstore.dev/include=true >/dev/null
for namespace in default demo-enforced; do
  kubectl -n "$namespace" delete secret demo-registry --ignore-not-found >/dev/null
  kubectl -n "$namespace" create secret docker-registry demo-registry --docker-server="$REGISTRY" \
    --docker-username="$REGISTRY_USER" --docker-password="$REGISTRY_PASSWORD" >/dev/null
done
pull_secret='{"apiVersion":"v1","spec":{"imagePullSecrets":[{"name":"demo-registry"}]}}'

step "the image signed by both runs in demo-enforced: policy-controller admits $image:1"
pod=demo-hello-$RANDOM
kubectl -n demo-enforced run "$pod" --image="$image:1" --restart=Never --overrides="$pull_secret" >/dev/null
kubectl -n demo-enforced wait "pod/$pod" --for=jsonpath='{.status.phase}'=Succeeded --timeout=90s >/dev/null
echo "admitted as $(kubectl -n demo-enforced get pod "$pod" -o jsonpath='{.spec.containers[0].image}') (policy-controller pinned the digest it verified); it says:"
kubectl -n demo-enforced logs "$pod"
kubectl -n demo-enforced delete pod "$pod" --wait=false >/dev/null

step "the unsigned image is refused in demo-enforced, with policy-controller's reason"
if kubectl -n demo-enforced run "demo-unsigned-$RANDOM" --image="$image:unsigned" --restart=Never --overrides="$pull_secret" 2>"$work/refused.txt" >/dev/null; then
  echo "the unsigned image was admitted" >&2; exit 1
fi
grep -o 'admission webhook "policy.sigstore.dev" denied the request: validation failed: failed policy: [^:]*' "$work/refused.txt"

step "kubectl trust sweep: what already runs in the default namespace, judged by the digest it runs"
kubectl delete pod -l demo=sweep --wait=false >/dev/null   # an earlier run's: on its way out, skipped by the sweep
running=demo-unsigned-running-$RANDOM
kubectl run "$running" --image="$image:unsigned" --labels=demo=sweep --restart=Never --overrides="$pull_secret" --command -- sleep 300 >/dev/null
kubectl wait "pod/$running" --for=condition=Ready --timeout=90s >/dev/null
status=0
kubectl trust sweep -n default -l demo=sweep --policy "$work/policy.yaml" --allow-http-registry --evict || status=$?
[ "$status" = 1 ] || { echo "the sweep did not report the unsigned image (exit $status)" >&2; exit 1; }
kubectl delete pod -l demo=sweep --wait=false >/dev/null

step "done in $((SECONDS - started))s; the stack is still up (hack/local-stack status | down)"
