// cosign's legacy signature layout: tag sha256-<hex>.sig in the image's repository, an OCI manifest
// with one simple-signing layer per signature (the payload blob, the signature in an annotation).
// Adding a signature is read-modify-write on that tag: tag-update.ts keeps concurrent signers safe.
// Attestations (cosign attest) live the same way under sha256-<hex>.att, one DSSE envelope a layer.
import { OCI_MANIFEST, type RegistryClient } from '../registry/client.ts';
import { addToTag, digestTag, type SignatureTarget, type TagUpdateOptions } from './tag-update.ts';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

export interface SignatureLayer {
  mediaType: string;
  size: number;
  digest: string;
  annotations?: Record<string, string>;
}

interface SignatureManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: { mediaType: string; size: number; digest: string };
  layers: SignatureLayer[];
}

export function signatureTag(digest: string): string {
  return `${digestTag(digest)}.sig`;
}

/**
 * Adds one signature to the image's .sig tag, keeping every signature already there. `annotations`
 * holds the signature (SIGNATURE_ANNOTATION) and, keyless or logged, the certificate, chain, bundle.
 */
export async function attachLegacySignature(
  client: RegistryClient,
  target: SignatureTarget,
  payload: Buffer,
  annotations: Readonly<Record<string, string>>,
  options: TagUpdateOptions = {},
): Promise<{ tag: string; signatures: number }> {
  return addLayer(client, target, signatureTag(target.digest), { mediaType: SIMPLE_SIGNING, blob: payload, annotations }, options);
}

/**
 * Adds one attestation to the image's .att tag as `cosign attest` does: a layer holding the signed
 * DSSE envelope, its predicate type in an annotation and an empty signature annotation (the
 * signature is inside the envelope), with the certificate, chain and log bundle when there are.
 */
export async function attachLegacyAttestation(
  client: RegistryClient,
  target: SignatureTarget,
  envelope: Buffer,
  annotations: Readonly<Record<string, string>>,
  options: TagUpdateOptions = {},
): Promise<{ tag: string; signatures: number }> {
  return addLayer(client, target, attestationTag(target.digest), { mediaType: DSSE_ENVELOPE, blob: envelope, annotations: { [SIGNATURE_ANNOTATION]: '', ...annotations } }, options);
}

export function attestationTag(digest: string): string {
  return `${digestTag(digest)}.att`;
}

async function addLayer(
  client: RegistryClient,
  target: SignatureTarget,
  tag: string,
  layer: { mediaType: string; blob: Buffer; annotations: Readonly<Record<string, string>> },
  options: TagUpdateOptions,
): Promise<{ tag: string; signatures: number }> {
  const { registry, repository } = target;
  // The blob upload and the first read of the tag do not depend on each other.
  // Its failure handler is attached at once: it may fail while the upload is still running.
  const firstRead = readSignatures(client, registry, repository, tag).catch(() => undefined);
  const blobDigest = await client.pushBlob(registry, repository, layer.blob);
  const ours: SignatureLayer = {
    mediaType: layer.mediaType,
    size: layer.blob.length,
    digest: blobDigest,
    annotations: { ...layer.annotations },
  };
  const signatures = await addToTag<SignatureLayer>(
    {
      name: `${registry}/${repository}:${tag}`,
      read: () => readSignatures(client, registry, repository, tag),
      write: (layers) => writeSignatures(client, registry, repository, tag, layers),
      key: (item) => `${item.digest} ${item.annotations?.[SIGNATURE_ANNOTATION] ?? ''}`,
      ours,
    },
    { ...options, firstRead },
  );
  return { tag, signatures };
}

async function readSignatures(client: RegistryClient, registry: string, repository: string, tag: string): Promise<SignatureLayer[]> {
  const manifest = await client.getManifest(registry, repository, tag);
  if (!manifest) return [];
  const parsed = JSON.parse(manifest.body.toString('utf8')) as SignatureManifest;
  return parsed.layers ?? [];
}

async function writeSignatures(client: RegistryClient, registry: string, repository: string, tag: string, layers: SignatureLayer[]): Promise<void> {
  // The config cosign writes: verify never reads it, registries want it to exist.
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      config: {},
    }),
  );
  const configDigest = await client.pushBlob(registry, repository, config);
  const manifest: SignatureManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest },
    layers,
  };
  await client.putManifest(registry, repository, tag, Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
}
