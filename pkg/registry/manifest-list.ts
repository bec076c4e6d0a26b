// Assembling a multi-platform image from single-platform images pushed by digest: an OCI image index
// when the children are OCI manifests, a Docker manifest list when they are Docker schema 2, each
// entry's platform read from the child's own config. Then pushed under every tag.
import { DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, sha256Digest, type RegistryClient } from './client.ts';

export interface ListEntry {
  readonly mediaType: string;
  readonly size: number;
  readonly digest: string;
  readonly platform: { architecture: string; os: string; variant?: string };
}

export interface ManifestList {
  readonly mediaType: string;
  readonly digest: string;
  readonly body: Buffer;
  readonly entries: readonly ListEntry[];
}

/** Reads each child (manifest and config) from `repository` and builds the list over them. */
export async function assembleList(client: RegistryClient, registry: string, repository: string, childDigests: readonly string[]): Promise<ManifestList> {
  const entries = await Promise.all(
    childDigests.map(async (digest): Promise<ListEntry> => {
      const child = await client.getManifest(registry, repository, digest);
      if (!child) throw new Error(`the platform image ${registry}/${repository}@${digest} is not in the registry`);
      const manifest = JSON.parse(child.body.toString('utf8')) as { mediaType?: string; config: { digest: string } };
      const config = JSON.parse((await client.getBlob(registry, repository, manifest.config.digest)).toString('utf8')) as {
        architecture: string;
        os: string;
        variant?: string;
      };
      return {
        mediaType: manifest.mediaType ?? child.mediaType,
        size: child.body.length,
        digest,
        platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
      };
    }),
  );
  const mediaType = entries.every((entry) => entry.mediaType === OCI_MANIFEST) ? OCI_INDEX : DOCKER_MANIFEST_LIST;
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }));
  return { mediaType, digest: sha256Digest(body), body, entries };
}
