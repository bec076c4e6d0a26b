// For unit tests: a registry in memory that answers as RegistryClient does, and BuildKit's way of
// pushing one platform with provenance (an index of the image and its attestation manifest).
import { OCI_INDEX, OCI_MANIFEST, sha256Digest, type RegistryClient } from './client.ts';

/** A registry in memory: manifests and blobs by digest (and tag), as RegistryClient answers. */
export function fakeRegistry() {
  const manifests = new Map<string, { body: Buffer; mediaType: string; digest: string }>();
  const blobs = new Map<string, Buffer>();
  const client = {
    getManifest: async (_registry: string, _repository: string, reference: string) => manifests.get(reference),
    getBlob: async (_registry: string, _repository: string, digest: string) => {
      const blob = blobs.get(digest);
      if (!blob) throw new Error(`no blob ${digest}`);
      return blob;
    },
  } as unknown as RegistryClient;
  const putManifest = (value: object, mediaType: string) => {
    const body = Buffer.from(JSON.stringify({ mediaType, ...value }));
    const digest = sha256Digest(body);
    manifests.set(digest, { body, mediaType, digest });
    return { mediaType, digest, size: body.length };
  };
  const putBlob = (value: object) => {
    const body = Buffer.from(JSON.stringify(value));
    blobs.set(sha256Digest(body), body);
    return { digest: sha256Digest(body), size: body.length };
  };
  const putRaw = (body: Buffer, mediaType: string) => manifests.set(sha256Digest(body), { body, mediaType, digest: sha256Digest(body) });
  return { client, putManifest, putBlob, putRaw };
}

/** One platform as BuildKit pushes it with provenance: an index of the image and its attestation manifest. */
export function pushPlatform(registry: ReturnType<typeof fakeRegistry>, architecture: string) {
  const config = registry.putBlob({ architecture, os: 'linux' });
  const image = registry.putManifest({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [] }, OCI_MANIFEST);
  const statement = registry.putBlob({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v1', subject: [], predicate: { arch: architecture } });
  const attestation = registry.putManifest(
    {
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...registry.putBlob({}) },
      layers: [{ mediaType: 'application/vnd.in-toto+json', ...statement, annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v1' } }],
    },
    OCI_MANIFEST,
  );
  const index = registry.putManifest(
    {
      schemaVersion: 2,
      manifests: [
        { ...image, platform: { architecture, os: 'linux' } },
        {
          ...attestation,
          platform: { architecture: 'unknown', os: 'unknown' },
          annotations: { 'vnd.docker.reference.digest': image.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
        },
      ],
    },
    OCI_INDEX,
  );
  return { image, attestation, index };
}
