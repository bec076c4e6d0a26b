// What the build pushed, read back for signing: the platform images under the pushed digest (for
// --sign-recursive) and the in-toto statements of BuildKit's attestation manifests (provenance,
// SBOM), each with the image it describes. An attestation manifest is never a platform image.
import type { RegistryClient } from '../registry/client.ts';
import { IN_TOTO_LAYER, isAttestationManifest, PREDICATE_TYPE_ANNOTATION, REFERENCE_DIGEST, type IndexEntry } from '../registry/attestation-manifest.ts';

export interface BuiltAttestation {
  /** The platform image the statement describes. */
  readonly describes: string;
  readonly predicateType: string;
  readonly predicate: unknown;
}

export interface PushedContents {
  /** The platform images of a pushed index (empty for a single manifest). */
  readonly platformImages: readonly string[];
  readonly attestations: readonly BuiltAttestation[];
}

interface ImageManifest {
  readonly manifests?: readonly IndexEntry[];
  readonly layers?: ReadonlyArray<{ readonly mediaType: string; readonly digest: string; readonly annotations?: Readonly<Record<string, string>> }>;
}

export async function readPushed(client: RegistryClient, registry: string, repository: string, digest: string): Promise<PushedContents> {
  const top = await readManifest(client, registry, repository, digest);
  const entries = top.manifests ?? [];
  const attestations = await Promise.all(
    entries.filter(isAttestationManifest).map(async (entry): Promise<BuiltAttestation[]> => {
      const describes = entry.annotations?.[REFERENCE_DIGEST];
      if (!describes) return [];
      const manifest = await readManifest(client, registry, repository, entry.digest);
      const layers = (manifest.layers ?? []).filter((layer) => layer.mediaType === IN_TOTO_LAYER);
      return Promise.all(
        layers.map(async (layer) => {
          const statement = JSON.parse((await client.getBlob(registry, repository, layer.digest)).toString('utf8')) as { predicateType?: string; predicate?: unknown };
          const predicateType = statement.predicateType ?? layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ?? '';
          return { describes, predicateType, predicate: statement.predicate ?? {} };
        }),
      );
    }),
  );
  return { platformImages: entries.filter((entry) => !isAttestationManifest(entry)).map((entry) => entry.digest), attestations: attestations.flat() };
}

async function readManifest(client: RegistryClient, registry: string, repository: string, digest: string): Promise<ImageManifest> {
  const manifest = await client.getManifest(registry, repository, digest);
  if (!manifest) throw new Error(`${registry}/${repository}@${digest} is not in the registry`);
  return JSON.parse(manifest.body.toString('utf8')) as ImageManifest;
}

/**
 * The statement cosign attests for an image: BuildKit's predicate, re-wrapped with the image
 * `digest` as its subject (the digest cosign verify-attestation is asked about, and checks).
 */
export function attestationStatement(dockerReference: string, digest: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: dockerReference, digest: { sha256: digest.replace(/^sha256:/, '') } }],
      predicateType,
      predicate,
    }),
  );
}
