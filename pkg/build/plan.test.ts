import { describe, expect, it } from 'vitest';
import { planBuild, pushesImage } from './plan.ts';
import { NO_BUILD_OPTIONS } from './test-options.ts';

const base = NO_BUILD_OPTIONS;

describe('planBuild', () => {
  it('reads the Dockerfile by name from its own folder, which may be outside the context', () => {
    const plan = planBuild({ ...base, dockerfile: '/elsewhere/build/prod.Dockerfile' });
    expect(plan.frontend).toBe('dockerfile.v0');
    expect(plan.frontendAttrs.filename).toBe('prod.Dockerfile');
    expect(plan.localDirs).toEqual({ context: '/src/app', dockerfile: '/elsewhere/build' });
  });

  it('passes target, platform, build args, labels, no-cache, pull and add-host as the frontend wants them', () => {
    const plan = planBuild({
      ...base,
      target: 'runtime',
      platform: 'linux/arm64',
      buildArgs: { VERSION: '1.2' },
      labels: { 'org.opencontainers.image.source': 'https://x' },
      noCache: true,
      pull: true,
      addHosts: ['db:10.0.0.5', 'cache=10.0.0.6'],
      network: 'none',
    });
    expect(plan.frontendAttrs).toMatchObject({
      target: 'runtime',
      platform: 'linux/arm64',
      'build-arg:VERSION': '1.2',
      'label:org.opencontainers.image.source': 'https://x',
      'no-cache': '',
      'image-resolve-mode': 'pull',
      'add-hosts': 'db=10.0.0.5,cache=10.0.0.6',
      'force-network-mode': 'none',
    });
  });

  it('turns --push with tags into one image exporter that pushes every tag', () => {
    const plan = planBuild({ ...base, push: true, tags: ['r.example/app:1', 'r.example/app:latest'] });
    expect(plan.exporters).toEqual([{ Type: 'image', Attrs: { push: 'true', name: 'r.example/app:1,r.example/app:latest' } }]);
    expect(plan.outputs).toEqual([undefined]);
    expect(plan.pushes).toBe(true);
  });

  it('pushes platform images by digest under the tags\' repositories', () => {
    const plan = planBuild({ ...base, push: true, pushByDigest: true, platform: 'linux/arm64', tags: ['127.0.0.1:5000/app:1', '127.0.0.1:5000/app:latest'] });
    expect(plan.exporters).toEqual([{ Type: 'image', Attrs: { push: 'true', name: '127.0.0.1:5000/app', 'push-by-digest': 'true' } }]);
  });

  it('reads -o type=registry as a pushing image exporter, and keeps an output\'s own name', () => {
    const plan = planBuild({ ...base, tags: ['a/b:1'], outputs: [{ type: 'registry', attrs: { name: 'r.example/x:2' } }] });
    expect(plan.exporters).toEqual([{ Type: 'image', Attrs: { name: 'r.example/x:2', push: 'true', unpack: 'false' } }]);
  });

  it('keeps dest on the client for local, tar, oci and docker outputs', () => {
    const plan = planBuild({
      ...base,
      tags: ['r.example/app:1'],
      outputs: [
        { type: 'local', attrs: { dest: '/out/dir' } },
        { type: 'tar', attrs: { dest: '-' } },
        { type: 'oci', attrs: { dest: '/out/image.tar' } },
      ],
    });
    expect(plan.exporters).toEqual([
      { Type: 'local', Attrs: {} },
      { Type: 'tar', Attrs: {} },
      { Type: 'oci', Attrs: { name: 'r.example/app:1' } },
    ]);
    expect(plan.outputs).toEqual([{ kind: 'directory', path: '/out/dir' }, { kind: 'stdout' }, { kind: 'file', path: '/out/image.tar' }]);
  });

  it('sends a tarball without dest to stdout, refuses a folder without dest, and two outputs to stdout', () => {
    expect(planBuild({ ...base, outputs: [{ type: 'tar', attrs: {} }] }).outputs).toEqual([{ kind: 'stdout' }]);
    expect(() => planBuild({ ...base, outputs: [{ type: 'local', attrs: {} }] })).toThrow(/needs a folder as dest/);
    expect(() =>
      planBuild({ ...base, outputs: [{ type: 'tar', attrs: { dest: '-' } }, { type: 'oci', attrs: { dest: '-' } }] }),
    ).toThrow(/only one output can go to stdout/);
  });

  it('knows when a build pushes: --push, type=registry, or type=image with push (empty or true)', () => {
    expect(pushesImage({ push: true, outputs: [] })).toBe(true);
    expect(pushesImage({ push: false, outputs: [{ type: 'registry', attrs: {} }] })).toBe(true);
    expect(pushesImage({ push: false, outputs: [{ type: 'image', attrs: { push: '' } }] })).toBe(true);
    expect(pushesImage({ push: false, outputs: [{ type: 'image', attrs: { push: 'true' } }] })).toBe(true);
    expect(pushesImage({ push: false, outputs: [{ type: 'image', attrs: { push: 'false' } }, { type: 'local', attrs: { dest: '/o' } }] })).toBe(false);
  });

  it('builds without exporting when no output is asked for', () => {
    expect(planBuild(base).exporters).toEqual([]);
    expect(planBuild(base).pushes).toBe(false);
  });

  it('refuses to push without an image name', () => {
    expect(() => planBuild({ ...base, push: true })).toThrow(/pushing needs an image name/);
  });

  it('passes cache imports to the solve and to the frontend, and cache exports to the solve', () => {
    const plan = planBuild({
      ...base,
      cacheFrom: [{ type: 'registry', attrs: { ref: 'r/app:cache' } }],
      cacheTo: [{ type: 'registry', attrs: { ref: 'r/app:cache', mode: 'max' } }],
    });
    expect(plan.cacheImports).toEqual([{ Type: 'registry', Attrs: { ref: 'r/app:cache' } }]);
    expect(JSON.parse(plan.frontendAttrs['cache-imports'] as string)).toEqual(plan.cacheImports);
    expect(plan.cacheExports).toEqual([{ Type: 'registry', Attrs: { ref: 'r/app:cache', mode: 'max' } }]);
  });

  it('refuses unknown entitlements, networks, output types and malformed --add-host', () => {
    expect(() => planBuild({ ...base, allow: ['root'] })).toThrow(/unknown --allow/);
    expect(() => planBuild({ ...base, network: 'bridge2' })).toThrow(/unknown --network/);
    expect(() => planBuild({ ...base, outputs: [{ type: 'cloud', attrs: {} }] })).toThrow(/the type "cloud" is not one/);
    expect(() => planBuild({ ...base, addHosts: ['nohost'] })).toThrow(/invalid --add-host/);
  });
});
