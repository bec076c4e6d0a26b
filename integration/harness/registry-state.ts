// Reading a test registry for assertions, so that "absent" means the registry said 404: any other
// answer (401, 5xx) or no answer at all (connection refused, timeout) throws, and a registry that is
// down never passes for one that holds nothing.
import { httpGet } from '../../hack/lib/http.ts';
import type { TestRegistry } from './index.ts';

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

/** GET on the registry: the body, or undefined on 404; throws on anything else. */
async function read(registry: TestRegistry, path: string, accept?: string) {
  const response = await httpGet(`${registry.url}${path}`, {
    ...(registry.auth ? { basicAuth: registry.auth } : {}),
    ...(registry.caFile ? { caFile: registry.caFile } : {}),
    ...(accept ? { headers: { accept } } : {}),
  });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`could not look at ${registry.host}${path}: HTTP ${response.status} ${response.body.slice(0, 200)}`);
  return response;
}

/** The manifest under a tag or digest, or undefined when the registry says there is none. */
export async function readManifest(registry: TestRegistry, repository: string, reference: string): Promise<StoredManifest | undefined> {
  const response = await read(registry, `/v2/${repository}/manifests/${reference}`, MANIFEST_TYPES);
  if (!response) return undefined;
  return { digest: String(response.headers['docker-content-digest']), mediaType: String(response.headers['content-type']), json: JSON.parse(response.body) };
}

/** What the referrers API lists for a digest; undefined when the registry has no referrers API (404). */
export async function readReferrers(registry: TestRegistry, repository: string, digest: string): Promise<Descriptor[] | undefined> {
  const response = await read(registry, `/v2/${repository}/referrers/${digest}`, 'application/vnd.oci.image.index.v1+json');
  return response ? ((JSON.parse(response.body) as { manifests?: Descriptor[] }).manifests ?? []) : undefined;
}

/** A blob's bytes as text, or undefined when absent. */
export async function readBlob(registry: TestRegistry, repository: string, digest: string): Promise<string | undefined> {
  return (await read(registry, `/v2/${repository}/blobs/${digest}`))?.body;
}

/** The tag cosign's legacy layout and the referrers fallback derive from a digest. */
export function digestTag(digest: string): string {
  return digest.replace(':', '-');
}
