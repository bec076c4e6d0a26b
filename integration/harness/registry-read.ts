// Whether a registry holds a manifest, in three states: present, absent (the registry answered 404),
// or "could not look" (any other answer, a refused connection, a timeout), which throws. A negative
// check ("nothing was pushed") must use this: a helper that turns every error into "absent" also
// passes when the registry is down or refuses our credentials.
import { httpGet } from '../../hack/lib/http.ts';
import type { Registry } from '../../hack/lib/registry.ts';

export type ManifestState = 'present' | 'absent';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** `reference` is host/repository:tag or host/repository@digest, on `registry`. */
export async function manifestState(registry: Registry, reference: string): Promise<ManifestState> {
  const { url, response } = await headManifest(registry, reference);
  if (response.status === 200) return 'present';
  if (response.status === 404) return 'absent';
  throw new Error(`could not look for ${reference}: the registry answered HEAD ${url} with ${response.status}`);
}

async function headManifest(registry: Registry, reference: string) {
  const { repository, version } = splitReference(registry, reference);
  const url = `${registry.url}/v2/${repository}/manifests/${version}`;
  try {
    const response = await httpGet(url, {
      method: 'HEAD',
      headers: { accept: ACCEPT },
      ...(registry.caFile ? { caFile: registry.caFile } : {}),
      ...(registry.auth ? { basicAuth: registry.auth } : {}),
      timeoutMs: 10_000,
    });
    return { url, response };
  } catch (error) {
    throw new Error(`could not look for ${reference}: ${(error as Error).message}`, { cause: error });
  }
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

/** The digest the registry serves `reference`'s manifest under; throws unless it answers 200. */
export async function servedDigest(registry: Registry, reference: string): Promise<string> {
  const { url, response } = await headManifest(registry, reference);
  const digest = response.headers['docker-content-digest'];
  if (response.status !== 200 || typeof digest !== 'string') throw new Error(`HEAD ${url} answered ${response.status} without a digest`);
  return digest;
}
