// The Sigstore bundle layout (cosign v3's default; cosign v2.6 reads it): a DSSE envelope around an
// in-toto statement naming the image digest, in a bundle v0.3 whose verification material is the
// public key's hint, stored as an OCI referrer of the image. An attestation (cosign attest) is the
// same with its own statement, and its predicate type in the referrer's annotation. A registry without the referrers API
// gets the fallback index tag sha256-<hex> listing the referrers, kept as carefully as the .sig tag.
import { createHash, createPublicKey } from 'node:crypto';
import { OCI_INDEX, OCI_MANIFEST, sha256Digest, type RegistryClient } from '../registry/client.ts';
import type { Signer } from './keys.ts';
import { addToTag, digestTag, type SignatureTarget } from './tag-update.ts';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
export const STATEMENT_TYPE = 'application/vnd.in-toto+json';
const PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
  artifactType?: string;
}

/** DSSE's pre-authentication encoding: what the signature covers. */
export function preAuthenticationEncoding(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

/**
 * What a bundle signs: an in-toto statement naming the image digest, cosign's predicate. Annotations
 * (-a k=v) go on the subject, where cosign v3 writes them and `cosign verify -a` looks for them.
 */
export function inTotoStatement(digest: string, annotations: Readonly<Record<string, string>> = {}): Buffer {
  const subject = { digest: { sha256: digest.replace(/^sha256:/, '') }, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [subject],
      predicateType: PREDICATE_TYPE,
      predicate: {},
    }),
  );
}

/** The hint that names a public key in a bundle: base64 of the SHA-256 of its SPKI DER. */
export function publicKeyHint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** A key-signed bundle without a log entry, written here: no Sigstore library needs to load. */
export async function makeBundle(signer: Signer, digest: string, annotations: Readonly<Record<string, string>> = {}): Promise<Buffer> {
  return makeStatementBundle(signer, inTotoStatement(digest, annotations));
}

/** The same for any in-toto statement (an attestation's). */
export async function makeStatementBundle(signer: Signer, statement: Buffer): Promise<Buffer> {
  const signature = await signer.sign(preAuthenticationEncoding(STATEMENT_TYPE, statement));
  return Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: publicKeyHint(signer.publicKeyPem) } },
      dsseEnvelope: { payload: statement.toString('base64'), payloadType: STATEMENT_TYPE, signatures: [{ sig: signature.toString('base64') }] },
    }),
  );
}

/** Stores the bundle as a referrer of the image; returns where it can be found. */
export async function attachBundle(
  client: RegistryClient,
  target: SignatureTarget,
  bundle: Buffer,
  predicateType: string = PREDICATE_TYPE,
): Promise<{ referrer: string; fallbackTag?: string }> {
  const { registry, repository } = target;
  const image = await client.getManifest(registry, repository, target.digest);
  if (!image) throw new Error(`${registry}/${repository}@${target.digest} is not in the registry`);
  const [configDigest, bundleDigest] = await Promise.all([
    client.pushBlob(registry, repository, Buffer.from('{}')),
    client.pushBlob(registry, repository, bundle),
  ]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: EMPTY_CONFIG, size: 2, digest: configDigest, artifactType: BUNDLE_MEDIA_TYPE },
      layers: [{ mediaType: BUNDLE_MEDIA_TYPE, size: bundle.length, digest: bundleDigest }],
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': predicateType,
        'org.opencontainers.image.created': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      subject: { mediaType: image.mediaType, size: image.body.length, digest: target.digest },
      artifactType: BUNDLE_MEDIA_TYPE,
    }),
  );
  const referrer = sha256Digest(manifest);
  await client.putManifest(registry, repository, referrer, manifest, OCI_MANIFEST);

  if ((await client.referrers(registry, repository, target.digest)) !== undefined) return { referrer };

  // No referrers API: the OCI fallback, an index under sha256-<hex> listing the referrers.
  const tag = digestTag(target.digest);
  const ours: Descriptor = { mediaType: OCI_MANIFEST, size: manifest.length, digest: referrer, artifactType: BUNDLE_MEDIA_TYPE };
  await addToTag<Descriptor>({
    name: `${registry}/${repository}:${tag}`,
    read: async () => {
      const index = await client.getManifest(registry, repository, tag);
      return index ? ((JSON.parse(index.body.toString('utf8')) as { manifests?: Descriptor[] }).manifests ?? []) : [];
    },
    write: async (manifests) => {
      const sorted = [...manifests].sort((a, b) => a.digest.localeCompare(b.digest));
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: sorted }));
      await client.putManifest(registry, repository, tag, index, OCI_INDEX);
    },
    key: (entry) => entry.digest,
    ours,
  });
  return { referrer, fallbackTag: tag };
}
