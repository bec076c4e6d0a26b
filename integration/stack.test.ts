// The local stack itself: every registry variant answers as a client expects, the seeded base
// image reads back, and buildkitd answers and can build from that base image into our registries.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listWorkers } from '../hack/lib/buildkitd.ts';
import { httpGet } from '../hack/lib/http.ts';
import { tool } from '../hack/lib/paths.ts';
import { inspectRawManifest, skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { BASE_IMAGE_REPOSITORY } from '../hack/lib/seed.ts';
import { clientFilesFor, scratchDir, useBuildkitd, useRegistry, type TestRegistry } from './harness/index.ts';
import { manifestState } from './harness/registry-state.ts';

const run = promisify(execFile);

interface OciManifest {
  mediaType?: string;
  config: { mediaType: string; digest: string };
  layers: Array<{ mediaType: string; size: number }>;
}

const ACCEPT_MANIFESTS = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

function get(registry: TestRegistry, path: string, password = registry.auth?.password) {
  return httpGet(`${registry.url}${path}`, {
    caFile: registry.caFile,
    // distribution 2.8 serves an OCI manifest only to a client that says it accepts one.
    headers: { accept: ACCEPT_MANIFESTS },
    ...(registry.auth && password !== undefined ? { basicAuth: { username: registry.auth.username, password } } : {}),
  });
}

const variants = [
  { kind: 'distribution', auth: true, tls: false },
  { kind: 'distribution', auth: false, tls: false },
  { kind: 'distribution', auth: true, tls: true },
  { kind: 'oci', auth: true, tls: false },
  { kind: 'oci', auth: false, tls: false },
  { kind: 'oci', auth: true, tls: true },
] as const;

describe.each(variants)('$kind registry (auth: $auth, tls: $tls)', (variant) => {
  const registry = useRegistry({ ...variant, seed: true });

  it('answers /v2/ with the right credentials', async () => {
    expect((await get(registry(), '/v2/')).status).toBe(200);
  });

  if (variant.auth) it('refuses a wrong password and a missing one with a Basic challenge', async () => {
    const wrong = await get(registry(), '/v2/', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(String(wrong.headers['www-authenticate'])).toMatch(/^Basic /);
    expect((await httpGet(`${registry().url}/v2/`, { caFile: registry().caFile })).status).toBe(401);
  });

  if (variant.tls) it('serves TLS that only a client trusting our CA accepts', async () => {
    expect(registry().url).toMatch(/^https:/);
    await expect(httpGet(`${registry().url}/v2/`)).rejects.toThrow(/certificate/i);
  });

  it('holds the seeded base image, readable with skopeo', async () => {
    const reference = registry().baseImage as string;
    expect(reference).toBe(`${registry().host}/${BASE_IMAGE_REPOSITORY}:latest`);
    const manifest = (await inspectRawManifest(registry(), registry().files, reference)) as OciManifest;
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers).toHaveLength(1);
    const config = JSON.parse(
      await skopeo(['inspect', '--config', ...skopeoRegistryFlags(registry(), registry().files, ''), `docker://${reference}`]),
    ) as { os: string; config: { Cmd: string[] } };
    expect(config.os).toBe('linux');
    expect(config.config.Cmd).toEqual(['/bin/sh']);
  });

  // The helper every "nothing was pushed" check uses: a 404 is "absent", anything else throws.
  it('reads a manifest as present, absent (404), or throws when it cannot look', async () => {
    const { host } = registry();
    expect(await manifestState(registry(), registry().baseImage as string)).toBe('present');
    expect(await manifestState(registry(), `${host}/${BASE_IMAGE_REPOSITORY}:no-such-tag`)).toBe('absent');
    expect(await manifestState(registry(), `${host}/no/such-repository:1`)).toBe('absent');
    if (registry().auth) {
      const refused = { ...registry(), auth: { username: registry().auth?.username as string, password: 'not-the-password' } };
      await expect(manifestState(refused, `${host}/${BASE_IMAGE_REPOSITORY}:no-such-tag`)).rejects.toThrow(/could not look .* with 401/);
    }
    const down = { ...registry(), host: '127.0.0.1:9', url: registry().url.replace(host, '127.0.0.1:9') };
    await expect(manifestState(down, `127.0.0.1:9/${BASE_IMAGE_REPOSITORY}:latest`)).rejects.toThrow(/could not look .*ECONNREFUSED/);
  });

  it(`${variant.kind === 'oci' ? 'serves' : 'lacks'} the OCI 1.1 referrers API`, async () => {
    const manifest = await get(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/manifests/latest`);
    const digest = String(manifest.headers['docker-content-digest']);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const referrers = await get(registry(), `/v2/${BASE_IMAGE_REPOSITORY}/referrers/${digest}`);
    if (variant.kind === 'oci') {
      expect(referrers.status).toBe(200);
      expect(JSON.parse(referrers.body)).toMatchObject({ mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
    } else {
      expect(referrers.status).toBe(404);
    }
  });
});

describe('buildkitd', () => {
  const plain = useRegistry({ kind: 'distribution', auth: true, seed: true });
  const secure = useRegistry({ kind: 'oci', auth: true, tls: true });
  const buildkitd = useBuildkitd({ trust: [plain, secure] });

  it('answers on its private unix socket with an OCI worker for this machine', async () => {
    expect(buildkitd().address).toMatch(/^unix:\/\/\/.+\/buildkitd\.sock$/);
    const workers = await listWorkers(buildkitd().address);
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatch(/linux\/amd64/);
  });

  it('builds FROM the seeded base image and pushes to a TLS registry with auth', async () => {
    const context = scratchDir('context');
    writeFileSync(join(context, 'Dockerfile'), `FROM ${plain().baseImage}\nRUN echo built-by-buildkitd > /hello\n`);
    const files = clientFilesFor([plain(), secure()]);
    const target = `${secure().host}/stack/hello:1`;
    await run(
      tool('buildctl'),
      ['--addr', buildkitd().address, 'build', '--progress=plain', '--frontend', 'dockerfile.v0',
        '--local', `context=${context}`, '--local', `dockerfile=${context}`,
        '--output', `type=image,name=${target},push=true`],
      { env: { ...process.env, DOCKER_CONFIG: files.dockerConfigDir }, timeout: 240_000 },
    );
    const manifest = (await inspectRawManifest(secure(), secure().files, target)) as OciManifest;
    // The base layer and the RUN layer.
    expect(manifest.layers).toHaveLength(2);
  });
});
