// Finding what a registry holds about one image digest: the image itself (resolved once: a tag is
// read once and its digest is what everything after checks), and every signature stored for it in
// cosign's two layouts — the legacy `sha256-<hex>.sig` tag (one simple-signing layer per signature)
// and Sigstore bundles stored as OCI referrers, listed by the referrers API or, on registries without
// it, by the fallback index tag `sha256-<hex>`. What is malformed is still returned, with the problem
// named, so the report can show it; what cannot be read at all (registry down, 401, 500) throws.
import { createHash } from 'node:crypto';
import { KubectlBuildError, errorMessage } from '../errors/index.ts';
import { OCI_INDEX, DOCKER_MANIFEST_LIST, type Descriptor, type RegistryClient } from '../registry/client.ts';
import { repositoryName, type ImageReference } from '../registry/reference.ts';
import { BUNDLE_MEDIA_TYPE } from '../sign/bundle.ts';
import { SIMPLE_SIGNING, signatureTag } from '../sign/legacy.ts';
import { simpleSigningPayload } from '../sign/payload.ts';
import { digestTag } from '../sign/tag-update.ts';
import type { FoundSignature } from './types.ts';

/** An image named by the user, resolved to the digest that is checked and reported. */
export interface ResolvedImage {
  readonly registry: string;
  readonly repository: string;
  /** registry/repository as cosign writes docker-reference (Docker Hub as index.docker.io). */
  readonly name: string;
  readonly tag?: string;
  readonly digest: string;
  readonly mediaType: string;
  /** For an image index or manifest list: its platform images. */
  readonly children: readonly PlatformImage[];
  /** For a single image: the digest of its config (what a node that built or loaded it calls it). */
  readonly configDigest?: string;
}

export interface PlatformImage {
  readonly digest: string;
  /** "linux/arm64/v8"; "unknown/unknown" entries (attestation manifests) are left out. */
  readonly platform: string;
}

/** Where signatures live: the image's own repository, unless COSIGN_REPOSITORY moves them. */
export interface SignatureStore {
  readonly registry: string;
  readonly repository: string;
}

// Signatures are small (a payload is a few hundred bytes, a bundle a few KiB): a larger blob is a
// malformed or hostile signature, reported as such, never read into memory whole.
const MAX_SIGNATURE_BYTES = 1024 * 1024;
// An image with more signatures than this is reported with the rest unread (each is a registry read).
const MAX_SIGNATURES = 256;
const PARALLEL_READS = 8;

export async function resolveImage(client: RegistryClient, reference: ImageReference): Promise<ResolvedImage> {
  const { registry, repository } = reference;
  const wanted = reference.digest ?? reference.tag ?? 'latest';
  const manifest = await client.getManifest(registry, repository, wanted);
  if (!manifest) {
    throw new KubectlBuildError('NOT_FOUND', `${repositoryName(reference)}${reference.digest ? '@' : ':'}${wanted} is not in the registry`, {
      hint: 'check the image name, tag or digest',
    });
  }
  const parsed = parseJson(manifest.body) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor } | undefined;
  const mediaType = manifest.mediaType || parsed?.mediaType || '';
  const isIndex = mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST || (!mediaType && Array.isArray(parsed?.manifests));
  const children = isIndex
    ? (parsed?.manifests ?? [])
        .filter((entry) => entry.platform && entry.platform.os !== 'unknown')
        .map((entry) => ({ digest: entry.digest, platform: [entry.platform?.os, entry.platform?.architecture, entry.platform?.variant].filter(Boolean).join('/') }))
    : [];
  return {
    registry,
    repository,
    name: repositoryName(reference),
    ...(reference.tag && !reference.digest ? { tag: reference.tag } : {}),
    digest: manifest.digest,
    mediaType,
    children,
    ...(!isIndex && typeof parsed?.config?.digest === 'string' ? { configDigest: parsed.config.digest } : {}),
  };
}

/**
 * Every signature stored for `digest`, in both layouts; throws only when the registry cannot be
 * read. `name`: the image's name as cosign writes docker-reference, to know its usual payload.
 */
export async function findSignatures(client: RegistryClient, store: SignatureStore, digest: string, name?: string): Promise<FoundSignature[]> {
  const [legacy, bundles] = await Promise.all([legacySignatures(client, store, digest, name), bundleSignatures(client, store, digest)]);
  return [...legacy, ...bundles];
}

async function legacySignatures(client: RegistryClient, store: SignatureStore, digest: string, name: string | undefined): Promise<FoundSignature[]> {
  const { registry, repository } = store;
  const tag = signatureTag(digest);
  const where = `${registry}/${repository}:${tag}`;
  const manifest = await client.getManifest(registry, repository, tag);
  if (!manifest) return [];
  const parsed = parseJson(manifest.body) as { layers?: Descriptor[] } | undefined;
  if (!parsed || !Array.isArray(parsed.layers)) return [{ format: 'legacy', location: where, problem: 'the signature manifest is not valid JSON with layers' }];
  const layers = parsed.layers.filter((layer) => layer?.mediaType === SIMPLE_SIGNING);
  // Signers of one image sign the same payload (its digest and reference): one read serves them
  // all. And the payload cosign writes without annotations is known in advance: a layer whose
  // digest is that payload's holds exactly those bytes, and needs no read at all.
  const payloads = new Map<string, Promise<Buffer | string>>();
  if (name !== undefined) {
    const usual = simpleSigningPayload(name, digest);
    payloads.set(`sha256:${createHash('sha256').update(usual).digest('hex')} ${usual.length}`, Promise.resolve(usual));
  }
  const payloadOf = (layer: Descriptor) => {
    const key = `${String(layer.digest)} ${String(layer.size)}`;
    const read = payloads.get(key) ?? readSignatureBlob(client, store, layer);
    payloads.set(key, read);
    return read;
  };
  const found = await mapLimited(layers.slice(0, MAX_SIGNATURES), async (layer, index): Promise<FoundSignature> => {
    const location = `${where} (layer ${index + 1})`;
    const annotations = Object.fromEntries(Object.entries(layer.annotations ?? {}).filter(([, value]) => typeof value === 'string'));
    const payload = await payloadOf(layer);
    return typeof payload === 'string' ? { format: 'legacy', location, problem: payload } : { format: 'legacy', location, legacy: { payload, annotations } };
  });
  return withOverflowNote(found, layers.length, where, 'legacy');
}

async function bundleSignatures(client: RegistryClient, store: SignatureStore, digest: string): Promise<FoundSignature[]> {
  const { registry, repository } = store;
  let listed = await client.referrers(registry, repository, digest, BUNDLE_MEDIA_TYPE);
  let where = `the referrers of ${registry}/${repository}@${digest}`;
  if (listed === undefined) {
    // No referrers API: the OCI fallback tag lists them (as cosign and @sigstore/oci write it).
    const tag = digestTag(digest);
    where = `${registry}/${repository}:${tag}`;
    const index = await client.getManifest(registry, repository, tag);
    const parsed = index ? (parseJson(index.body) as { manifests?: Descriptor[] } | undefined) : undefined;
    listed = Array.isArray(parsed?.manifests) ? parsed.manifests : [];
  }
  // A registry may ignore the artifactType filter: only bundles are read.
  const candidates = listed.filter((entry) => entry?.artifactType === BUNDLE_MEDIA_TYPE);
  const found = await mapLimited(candidates.slice(0, MAX_SIGNATURES), async (entry): Promise<FoundSignature> => {
    const location = `${registry}/${repository}@${entry.digest}`;
    const manifest = await client.getManifest(registry, repository, entry.digest).catch((error: unknown) => errorMessage(error));
    if (manifest === undefined) return { format: 'bundle', location, problem: 'listed as a referrer, but the registry does not have it' };
    if (typeof manifest === 'string') return { format: 'bundle', location, problem: manifest };
    const parsed = parseJson(manifest.body) as { subject?: Descriptor; layers?: Descriptor[]; artifactType?: string } | undefined;
    if (parsed?.subject?.digest !== digest) {
      return { format: 'bundle', location, problem: `the referrer's subject is ${parsed?.subject?.digest ?? 'missing'}, not this image` };
    }
    const layer = parsed.layers?.[0];
    if (!layer || !layer.mediaType?.startsWith('application/vnd.dev.sigstore.bundle')) {
      return { format: 'bundle', location, problem: `listed as a Sigstore bundle, but it holds ${layer?.mediaType ?? 'no layer'}` };
    }
    const bundle = await readSignatureBlob(client, store, layer);
    return typeof bundle === 'string' ? { format: 'bundle', location, problem: bundle } : { format: 'bundle', location, bundle };
  });
  return withOverflowNote(found, candidates.length, where, 'bundle');
}

/** A signature's blob, or the problem that kept it from being read (too large, missing, altered). */
export async function readSignatureBlob(client: RegistryClient, store: SignatureStore, layer: Descriptor): Promise<Buffer | string> {
  if (typeof layer.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(layer.digest)) return 'the layer has no sha256 digest';
  if (layer.size > MAX_SIGNATURE_BYTES) return `the signature is ${layer.size} bytes, more than a signature can be`;
  try {
    return await client.getBlob(store.registry, store.repository, layer.digest, MAX_SIGNATURE_BYTES);
  } catch (error) {
    // Unreachable or refusing registries decide nothing: that is not a bad signature.
    if (error instanceof KubectlBuildError && (error.code === 'UNAVAILABLE' || error.code === 'UNAUTHENTICATED')) throw error;
    return `its content cannot be read: ${errorMessage(error)}`;
  }
}

function withOverflowNote(found: FoundSignature[], total: number, where: string, format: FoundSignature['format']): FoundSignature[] {
  if (total <= MAX_SIGNATURES) return found;
  return [...found, { format, location: where, problem: `${total - MAX_SIGNATURES} more signatures were not read (at most ${MAX_SIGNATURES} an image)` }];
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `work` over `items`, at most PARALLEL_READS at a time, results in order. */
export async function mapLimited<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>, limit = PARALLEL_READS): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
