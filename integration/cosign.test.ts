// The judges themselves: the pinned cosign v2 and v3 sign and verify on both registry kinds, in
// both signature layouts the signing issues will write (the legacy .sig tag, and a Sigstore bundle
// as an OCI referrer or, without the referrers API, through the fallback index tag).
import { describe, expect, it } from 'vitest';
import { httpGet } from '../hack/lib/http.ts';
import { BASE_IMAGE_REPOSITORY } from '../hack/lib/seed.ts';
import { COSIGN_VERSIONS, cosign, generateKeyPair, verifyWithKey, type CosignContext } from './harness/cosign.ts';
import { scratchDir, useRegistry, type TestRegistry } from './harness/index.ts';

const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

async function registryGet(registry: TestRegistry, path: string) {
  const auth = registry.auth;
  const response = await httpGet(`${registry.url}${path}`, {
    ...(auth ? { basicAuth: auth } : {}),
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
  });
  return {
    status: response.status,
    digest: String(response.headers['docker-content-digest']),
    filtersApplied: response.headers['oci-filters-applied'],
    json: () => JSON.parse(response.body),
  };
}

describe.each(['distribution', 'oci'] as const)('cosign on the %s registry', (kind) => {
  const registry = useRegistry({ kind, auth: true, seed: true });

  async function setUp() {
    const context: CosignContext = { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
    const manifest = await registryGet(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/manifests/latest`);
    const image = `${registry().host}/${BASE_IMAGE_REPOSITORY}@${manifest.digest}`;
    return { context, image, digest: manifest.digest, keys: await generateKeyPair(context) };
  }

  it('signs in the legacy .sig layout, and both versions verify it', async () => {
    const { context, image, digest, keys } = await setUp();
    await cosign('cosign-v3', context, ['sign', '--yes', '--key', keys.privateKey, '--tlog-upload=false',
      '--use-signing-config=false', '--new-bundle-format=false', image], keys.password);
    const sigTag = await registryGet(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/manifests/${digest.replace(':', '-')}.sig`);
    expect(sigTag.status).toBe(200);
    expect(sigTag.json().layers[0].mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, context, image, keys.publicKey)).not.toHaveLength(0);
    }
  });

  it(`signs as a Sigstore bundle ${kind === 'oci' ? 'found through the referrers API' : 'under the fallback tag'}, and both versions verify it`, async () => {
    const { context, image, digest, keys } = await setUp();
    await cosign('cosign-v3', context, ['sign', '--yes', '--key', keys.privateKey, '--tlog-upload=false',
      '--use-signing-config=false', '--new-bundle-format=true', image], keys.password);
    const index =
      kind === 'oci'
        ? await registryGet(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/referrers/${digest}`)
        : await registryGet(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/manifests/${digest.replace(':', '-')}`);
    expect(index.status).toBe(200);
    expect(index.json().manifests.map((m: { artifactType: string }) => m.artifactType)).toContain(BUNDLE_MEDIA_TYPE);
    if (kind === 'oci') {
      // The artifactType filter, as OCI 1.1 specifies it: applied, and said so.
      const only = await registryGet(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/referrers/${digest}?artifactType=${encodeURIComponent(BUNDLE_MEDIA_TYPE)}`);
      expect(only.json().manifests).toHaveLength(1);
      expect(only.filtersApplied).toBe('artifactType');
      const none = await registryGet(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/referrers/${digest}?artifactType=application%2Fx-other`);
      expect(none.json().manifests).toEqual([]);
    }
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, context, image, keys.publicKey)).not.toHaveLength(0);
    }
  });
});
