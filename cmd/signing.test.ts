import { describe, expect, it } from 'vitest';
import { assembleList } from '../pkg/registry/manifest-list.ts';
import { fakeRegistry, pushPlatform } from '../pkg/registry/test-registry.ts';
import { signingTargets } from './signing.ts';

const image = { registry: 'r', repository: 'app' } as Parameters<typeof signingTargets>[1];
const provenance = 'https://slsa.dev/provenance/v1';

describe('signingTargets', () => {
  it('signs the pushed digest and attests each provenance for it; --sign-recursive adds the platform images, never an attestation manifest', async () => {
    const registry = fakeRegistry();
    const amd64 = pushPlatform(registry, 'amd64');
    const arm64 = pushPlatform(registry, 'arm64');
    const list = await assembleList(registry.client, 'r', 'app', [amd64.index.digest, arm64.index.digest]);
    registry.putRaw(list.body, list.mediaType);

    const flat = await signingTargets(registry.client, image, list.digest, false);
    expect(flat.digests).toEqual([list.digest]);
    expect(flat.attestations.map((a) => [a.digest, a.predicateType])).toEqual([
      [list.digest, provenance],
      [list.digest, provenance],
    ]);

    const recursive = await signingTargets(registry.client, image, list.digest, true);
    expect(recursive.digests).toEqual([amd64.image.digest, arm64.image.digest, list.digest]);
    expect(recursive.digests).not.toContain(amd64.attestation.digest);
    expect(recursive.attestations.map((a) => a.digest)).toEqual([list.digest, amd64.image.digest, list.digest, arm64.image.digest]);
  });

  it('a single platform pushed with provenance: the index, and with --sign-recursive its image', async () => {
    const registry = fakeRegistry();
    const amd64 = pushPlatform(registry, 'amd64');
    const targets = await signingTargets(registry.client, image, amd64.index.digest, true);
    expect(targets.digests).toEqual([amd64.image.digest, amd64.index.digest]);
    expect(targets.attestations.map((a) => a.digest)).toEqual([amd64.index.digest, amd64.image.digest]);
  });
});
