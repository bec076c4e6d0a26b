// Assembling a multi-platform image from single-platform images pushed by digest: an OCI image index
// when the children are OCI manifests, a Docker manifest list when they are Docker schema 2, each
// entry's platform read from the child's own config. Then pushed under every tag. A child pushed as
// an index (a platform image with BuildKit's attestation manifest beside it) gives its entries: the
// platform images first, then the attestation manifests, kept as BuildKit wrote them.
import { DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, sha256Digest, type RegistryClient } from './client.ts';
import { isAttestationManifest, type IndexEntry } from './attestation-manifest.ts';

export interface ListEntry extends IndexEntry {
  readonly platform: { architecture: string; os: string; variant?: string };
}

export interface ManifestList {
  readonly mediaType: string;
  readonly digest: string;
  readonly body: Buffer;
  readonly entries: readonly ListEntry[];
  /** For each child given, in order: the platform images it holds (itself, unless it is an index). */
  readonly images: ReadonlyArray<readonly ListEntry[]>;
}

/** Reads each child (manifest and config) from `repository` and builds the list over them. */
export async function assembleList(
  client: RegistryClient,
  registry: string,
  repository: string,
  childDigests: readonly string[],
  annotations: Readonly<Record<string, string>> = {},
): Promise<ManifestList> {
  const children = await Promise.all(
    childDigests.map(async (digest): Promise<ListEntry[]> => {
      const child = await client.getManifest(registry, repository, digest);
      if (!child) throw new Error(`the platform image ${registry}/${repository}@${digest} is not in the registry`);
      const manifest = JSON.parse(child.body.toString('utf8')) as { mediaType?: string; config?: { digest: string }; manifests?: ListEntry[] };
      if (manifest.manifests) return manifest.manifests;
      const config = JSON.parse((await client.getBlob(registry, repository, (manifest.config as { digest: string }).digest)).toString('utf8')) as {
        architecture: string;
        os: string;
        variant?: string;
      };
      return [
        {
          mediaType: manifest.mediaType ?? child.mediaType,
          size: child.body.length,
          digest,
          platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
        },
      ];
    }),
  );
  const images = children.map((entries) => entries.filter((entry) => !isAttestationManifest(entry)));
  const entries = [...images.flat(), ...children.flat().filter(isAttestationManifest)];
  const mediaType = entries.every((entry) => entry.mediaType === OCI_MANIFEST) ? OCI_INDEX : DOCKER_MANIFEST_LIST;
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) }));
  return { mediaType, digest: sha256Digest(body), body, entries, images };
}
