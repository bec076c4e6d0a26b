// Reading a test registry for assertions, so that "absent" means the registry said 404: any other
// answer (401, 5xx) or no answer at all (connection refused, timeout) throws, and a registry that is
// down never passes for one that holds nothing. A negative check ("nothing was pushed") must use
// this: a helper that turns every error into "absent" also passes when the registry is down or
// refuses our credentials.
import { httpGet } from '../../hack/lib/http.ts';
import type { Registry } from '../../hack/lib/registry.ts';

export type ManifestState = 'present' | 'absent';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
}

export interface StoredManifest {
  readonly digest: string;
  readonly mediaType: string;
  /** The manifest's JSON (an image manifest or an index). */
  readonly json: {
    readonly manifests?: Descriptor[];
    readonly layers?: Array<Descriptor & { annotations?: Record<string, string> }>;
    readonly subject?: Descriptor;
    readonly artifactType?: string;
    readonly [field: string]: unknown;
  };
}

/** A request to the registry; a failure to get any answer becomes "could not look". */
async function request(registry: Registry, path: string, options: { method?: 'HEAD'; accept?: string } = {}) {
  try {
    return await httpGet(`${registry.url}${path}`, {
      ...(options.method ? { method: options.method } : {}),
      ...(registry.auth ? { basicAuth: registry.auth } : {}),
      ...(registry.caFile ? { caFile: registry.caFile } : {}),
      ...(options.accept ? { headers: { accept: options.accept } } : {}),
      timeoutMs: 10_000,
    });
  } catch (error) {
    throw new Error(`could not look at ${registry.host}${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** GET on the registry: the body, or undefined on 404; throws on anything else. */
async function read(registry: Registry, path: string, accept?: string) {
  const response = await request(registry, path, accept ? { accept } : {});
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`could not look at ${registry.host}${path}: HTTP ${response.status} ${response.body.slice(0, 200)}`);
  return response;
}

/** `reference` is host/repository:tag or host/repository@digest, on `registry`. */
export async function manifestState(registry: Registry, reference: string): Promise<ManifestState> {
  const { path, response } = await headManifest(registry, reference);
  if (response.status === 200) return 'present';
  if (response.status === 404) return 'absent';
  throw new Error(`could not look for ${reference}: the registry answered HEAD ${path} with ${response.status}`);
}

/** The digest the registry serves `reference`'s manifest under; throws unless it answers 200. */
export async function servedDigest(registry: Registry, reference: string): Promise<string> {
  const { path, response } = await headManifest(registry, reference);
  const digest = response.headers['docker-content-digest'];
  if (response.status !== 200 || typeof digest !== 'string') throw new Error(`HEAD ${path} answered ${response.status} without a digest`);
  return digest;
}

async function headManifest(registry: Registry, reference: string) {
  const { repository, version } = splitReference(registry, reference);
  const path = `/v2/${repository}/manifests/${version}`;
  return { path, response: await request(registry, path, { method: 'HEAD', accept: MANIFEST_TYPES }) };
}

function splitReference(registry: Registry, reference: string): { repository: string; version: string } {
  if (!reference.startsWith(`${registry.host}/`)) throw new Error(`${reference} is not on the registry ${registry.host}`);
  const path = reference.slice(registry.host.length + 1);
  const at = path.indexOf('@');
  if (at >= 0) return { repository: path.slice(0, at), version: path.slice(at + 1) };
  const colon = path.lastIndexOf(':');
  if (colon < 0) return { repository: path, version: 'latest' };
  return { repository: path.slice(0, colon), version: path.slice(colon + 1) };
}

/** The manifest under a tag or digest, or undefined when the registry says there is none. */
export async function readManifest(registry: Registry, repository: string, reference: string): Promise<StoredManifest | undefined> {
  const response = await read(registry, `/v2/${repository}/manifests/${reference}`, MANIFEST_TYPES);
  if (!response) return undefined;
  return { digest: String(response.headers['docker-content-digest']), mediaType: String(response.headers['content-type']), json: JSON.parse(response.body) };
}

/** What the referrers API lists for a digest; undefined when the registry has no referrers API (404). */
export async function readReferrers(registry: Registry, repository: string, digest: string): Promise<Descriptor[] | undefined> {
  const response = await read(registry, `/v2/${repository}/referrers/${digest}`, 'application/vnd.oci.image.index.v1+json');
  return response ? ((JSON.parse(response.body) as { manifests?: Descriptor[] }).manifests ?? []) : undefined;
}

/** A blob's bytes as text, or undefined when absent. */
export async function readBlob(registry: Registry, repository: string, digest: string): Promise<string | undefined> {
  return (await read(registry, `/v2/${repository}/blobs/${digest}`))?.body;
}

/** The tag cosign's legacy layout and the referrers fallback derive from a digest. */
export function digestTag(digest: string): string {
  return digest.replace(':', '-');
}
