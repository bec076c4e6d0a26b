// cosign's legacy signature layout: tag sha256-<hex>.sig in the image's repository, an OCI manifest
// with one simple-signing layer per signature (the payload blob, the signature in an annotation).
// Adding a signature is read-modify-write on a tag, and registries offer no compare-and-swap: a
// writer that read before ours can put the tag back without our layer. So we keep every layer we
// found, and after writing, re-read at jittered intervals scaled to the registry's write time,
// writing again whenever our signature has gone: all concurrent signers end up present.
import { setTimeout as sleep } from 'node:timers/promises';
import { KubectlBuildError } from '../errors/index.ts';
import { OCI_MANIFEST, type RegistryClient } from '../registry/client.ts';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

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

export interface LegacyTarget {
  readonly registry: string;
  readonly repository: string;
  /** The signed image's digest. */
  readonly digest: string;
}

export interface AttachOptions {
  /** How many times our layer must be seen in a row before we trust it is there for good. */
  readonly confirmations?: number;
  readonly maxWrites?: number;
}

const MAX_FAILURES = 30;

export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** Adds one signature to the image's .sig tag, keeping every signature already there. */
export async function attachLegacySignature(
  client: RegistryClient,
  target: LegacyTarget,
  payload: Buffer,
  signatureBase64: string,
  options: AttachOptions = {},
): Promise<{ tag: string; signatures: number }> {
  const { registry, repository } = target;
  const tag = signatureTag(target.digest);
  // The payload upload and the first read of the tag do not depend on each other.
  const [payloadDigest, firstRead] = await Promise.all([
    client.pushBlob(registry, repository, payload),
    readSignatures(client, registry, repository, tag).catch(() => undefined),
  ]);
  const ours: SignatureLayer = {
    mediaType: SIMPLE_SIGNING,
    size: payload.length,
    digest: payloadDigest,
    annotations: { [SIGNATURE_ANNOTATION]: signatureBase64 },
  };
  const isOurs = (layer: SignatureLayer) => layer.digest === ours.digest && layer.annotations?.[SIGNATURE_ANNOTATION] === signatureBase64;
  const confirmations = options.confirmations ?? 2;
  const maxWrites = options.maxWrites ?? 20;

  let writes = 0;
  let seen = 0;
  let failures = 0;
  // How long one write takes here: a concurrent writer's stale write lands within about that long
  // after its read, so the pause between our confirmations scales with it.
  let writeMs = 50;
  let prefetched = firstRead;
  for (;;) {
    try {
      const current = prefetched ?? (await readSignatures(client, registry, repository, tag));
      prefetched = undefined;
      if (current.some(isOurs)) {
        seen++;
        if (seen >= confirmations) return { tag, signatures: current.length };
      } else {
        seen = 0;
        if (writes >= maxWrites) {
          throw new KubectlBuildError('SIGN_FAILED', `the signature did not stay in ${registry}/${repository}:${tag} after ${writes} writes`, {
            hint: 'too many signers at once on this image; sign again',
          });
        }
        writes++;
        const started = Date.now();
        await writeSignatures(client, registry, repository, tag, [...current, ours]);
        writeMs = Date.now() - started;
      }
    } catch (error) {
      // Concurrent writers make registries stumble now and then: a write whose blob another writer
      // is still committing, a read of a tag being rewritten (distribution 2.8 answers 500), a
      // keep-alive connection closed under load. Such a round counts as lost and is tried again
      // after a longer pause, a bounded number of times; refusals (401/403) are final at once.
      failures++;
      const transient = error instanceof KubectlBuildError && (error.code === 'REGISTRY' || error.code === 'UNAVAILABLE');
      if (!transient || failures > MAX_FAILURES) throw error;
    }
    // A jittered pause, long enough for a concurrent writer's stale write to land and be seen;
    // longer after failures, to let a struggling registry recover.
    await sleep(Math.max(10, writeMs) * (0.5 + Math.random()) + failures * 50);
  }
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
