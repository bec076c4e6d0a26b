// The attestations stored for an image digest, as `cosign attest` stores them: the legacy tag
// `sha256-<hex>.att` (one DSSE envelope a layer, its predicate type in an annotation), checked here,
// and Sigstore bundles whose statement is not cosign's signature statement, which were already
// found and checked as signatures (cosign verify counts them too) and are only named here.
// Attestations are reported; they meet no signer of the policy beyond what the signatures do.
// Read for `kubectl trust verify IMAGE` only: the sweep and the repository view skip them.
import type { RegistryClient } from '../registry/client.ts';
import { DSSE_ENVELOPE, attestationTag } from '../sign/legacy.ts';
import { checkLegacyAttestation, type Trust } from './check.ts';
import { mapLimited, readSignatureBlob, type SignatureStore } from './discover.ts';
import type { CheckedAttestation, CheckedSignature } from './types.ts';

const SIGNATURE_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const MAX_ATTESTATIONS = 64;

interface Layer {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, unknown>;
}

/** The bundle attestations among the signatures found: those whose statement is not cosign's signature statement. */
export function bundleAttestations(signatures: readonly CheckedSignature[]): CheckedAttestation[] {
  return signatures.flatMap((signature): CheckedAttestation[] => {
    const predicateType = signature.found.bundle ? bundlePredicateType(signature.found.bundle) : undefined;
    return predicateType && predicateType !== SIGNATURE_PREDICATE ? [{ ...signature, predicateType }] : [];
  });
}

/** The .att layers of `digest`, each checked; empty when there is no .att tag. */
export async function legacyAttestations(client: RegistryClient, trust: Trust, store: SignatureStore, digest: string): Promise<CheckedAttestation[]> {
  const tag = attestationTag(digest);
  const where = `${store.registry}/${store.repository}:${tag}`;
  const manifest = await client.getManifest(store.registry, store.repository, tag);
  if (!manifest) return [];
  let layers: Layer[];
  try {
    layers = ((JSON.parse(manifest.body.toString('utf8')) as { layers?: Layer[] }).layers ?? []).filter((layer) => layer?.mediaType === DSSE_ENVELOPE);
  } catch {
    return [{ found: { format: 'legacy', location: where, problem: 'the attestation manifest is not JSON' }, valid: false, annotations: {}, problem: 'the attestation manifest is not JSON', predicateType: '' }];
  }
  return mapLimited(layers.slice(0, MAX_ATTESTATIONS), async (layer, index): Promise<CheckedAttestation> => {
    const location = `${where} (layer ${index + 1})`;
    const annotations = Object.fromEntries(Object.entries(layer.annotations ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const envelope = await readSignatureBlob(client, store, layer as Parameters<typeof readSignatureBlob>[2]);
    const predicateType = (typeof envelope === 'string' ? undefined : envelopePredicateType(envelope)) ?? annotations.predicateType ?? '';
    if (typeof envelope === 'string') return { found: { format: 'legacy', location, problem: envelope }, valid: false, annotations: {}, problem: envelope, predicateType };
    return { ...checkLegacyAttestation(trust, { format: 'legacy', location, legacy: { payload: envelope, annotations } }, digest), predicateType };
  });
}

/** The predicate type of the statement a bundle signs, when it signs one. */
function bundlePredicateType(bundle: Buffer): string | undefined {
  try {
    const envelope = (JSON.parse(bundle.toString('utf8')) as { dsseEnvelope?: unknown }).dsseEnvelope;
    return envelope ? envelopePredicateType(Buffer.from(JSON.stringify(envelope))) : undefined;
  } catch {
    return undefined;
  }
}

function envelopePredicateType(envelope: Buffer): string | undefined {
  try {
    const { payload } = JSON.parse(envelope.toString('utf8')) as { payload?: unknown };
    if (typeof payload !== 'string') return undefined;
    const { predicateType } = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicateType?: unknown };
    return typeof predicateType === 'string' ? predicateType : undefined;
  } catch {
    return undefined;
  }
}
