import { describe, expect, it } from 'vitest';
import { OCI_INDEX, OCI_MANIFEST } from '../registry/client.ts';
import { assembleList } from '../registry/manifest-list.ts';
import { fakeRegistry, pushPlatform } from '../registry/test-registry.ts';
import { attestationStatement, readPushed } from './pushed-attestations.ts';

describe('attestation manifests are never platforms', () => {
  it('a list assembled over platform indexes lists the images, then the attestation manifests; only the images are its children', async () => {
    const registry = fakeRegistry();
    const amd64 = pushPlatform(registry, 'amd64');
    const arm64 = pushPlatform(registry, 'arm64');
    const list = await assembleList(registry.client, 'r', 'app', [amd64.index.digest, arm64.index.digest]);
    expect(list.mediaType).toBe(OCI_INDEX);
    expect(list.entries.map((entry) => [entry.digest, `${entry.platform.os}/${entry.platform.architecture}`])).toEqual([
      [amd64.image.digest, 'linux/amd64'],
      [arm64.image.digest, 'linux/arm64'],
      [amd64.attestation.digest, 'unknown/unknown'],
      [arm64.attestation.digest, 'unknown/unknown'],
    ]);
    expect(list.entries[2]?.annotations?.['vnd.docker.reference.digest']).toBe(amd64.image.digest);
    expect(list.images.map((images) => images.map((image) => image.digest))).toEqual([[amd64.image.digest], [arm64.image.digest]]);
  });

  it('reading what was pushed gives the platform images and each statement with the image it describes', async () => {
    const registry = fakeRegistry();
    const amd64 = pushPlatform(registry, 'amd64');
    const arm64 = pushPlatform(registry, 'arm64');
    const list = await assembleList(registry.client, 'r', 'app', [amd64.index.digest, arm64.index.digest]);
    registry.putRaw(list.body, list.mediaType);
    const pushed = await readPushed(registry.client, 'r', 'app', list.digest);
    expect(pushed.platformImages).toEqual([amd64.image.digest, arm64.image.digest]);
    expect(pushed.attestations).toEqual([
      { describes: amd64.image.digest, predicateType: 'https://slsa.dev/provenance/v1', predicate: { arch: 'amd64' } },
      { describes: arm64.image.digest, predicateType: 'https://slsa.dev/provenance/v1', predicate: { arch: 'arm64' } },
    ]);
  });

  it('a single image manifest has no platform images and no attestations', async () => {
    const registry = fakeRegistry();
    const image = registry.putManifest({ schemaVersion: 2, config: { digest: 'sha256:0' }, layers: [] }, OCI_MANIFEST);
    expect(await readPushed(registry.client, 'r', 'app', image.digest)).toEqual({ platformImages: [], attestations: [] });
  });
});

describe('attestationStatement', () => {
  it('re-wraps the predicate for the digest cosign is asked about', () => {
    expect(JSON.parse(attestationStatement('r.example/app', 'sha256:abc', 'https://slsa.dev/provenance/v1', { x: 1 }).toString('utf8'))).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'r.example/app', digest: { sha256: 'abc' } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: { x: 1 },
    });
  });
});
