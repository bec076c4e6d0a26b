// kubectl build --platform a,b,c: platform images pushed by digest, the list assembled by the CLI,
// pushed under every tag, signed; platforms built at the same time, and one failing platform cancels
// the others and leaves no list behind (observed through the build steps' calls to a server of the
// test's, and the registry's answers).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectRawManifest, skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { runCli } from './harness/cli.ts';
import { COSIGN_VERSIONS, generateKeyPair, verifyWithKey } from './harness/cosign.ts';
import { imageBytes } from './harness/images.ts';
import { scratchDir, useBuildkitd, useRegistry } from './harness/index.ts';
import { manifestState, servedDigest } from './harness/registry-state.ts';
import { useStepSignals } from './harness/step-signals.ts';

const registry = useRegistry({ kind: 'oci', auth: true, seed: true });
const buildkitd = useBuildkitd({ trust: [registry] });
// The local buildkitd's RUN steps share this machine's network.
const signals = useStepSignals(() => '127.0.0.1');
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];

interface Index {
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; platform: { os: string; architecture: string; variant?: string } }>;
}

function context(dockerfile: string, files: Record<string, string> = {}): string {
  const dir = scratchDir('multi');
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

function build(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli('kubectl-build', ['--progress', 'plain', ...args], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir, ...env },
  });
}

describe('kubectl build --platform a,b,c', () => {
  it('pushes an OCI index over the platform images under every tag, signed with its children', async () => {
    const dir = context('FROM scratch\nARG TARGETPLATFORM\nCOPY hello.txt /\n', { 'hello.txt': 'hi\n' });
    const cosignDir = scratchDir('cosign');
    const keys = await generateKeyPair({ dir: cosignDir, dockerConfigDir: registry().files.dockerConfigDir }, 'multi');
    const tags = [`${registry().host}/multi/app:1`, `${registry().host}/multi/app:latest`];
    const metadataFile = join(dir, 'metadata.json');
    const iidFile = join(dir, 'iid');
    const result = await build(
      ['--platform', PLATFORMS.join(','), ...tags.flatMap((tag) => ['-t', tag]), '--push', '--metadata-file', metadataFile, '--iidfile', iidFile,
        '--sign', '--sign-recursive', '--tlog-upload=false', '--cosign-key', keys.privateKey, dir],
      { COSIGN_PASSWORD: keys.password },
    );
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    // One progress view: every platform's steps, each labelled.
    for (const platform of PLATFORMS) expect(result.stderr).toMatch(new RegExp(`^\\[${platform}\\] #\\d+ \\[internal\\] load build definition`, 'm'));
    // ...and no step line without its platform.
    expect(result.stderr).not.toMatch(/^#\d+ /m);

    const listDigest = JSON.parse(readFileSync(metadataFile, 'utf8'))['containerimage.digest'] as string;
    expect(readFileSync(iidFile, 'utf8')).toBe(listDigest);
    for (const tag of tags) {
      // The list the registry serves under each tag is the one whose digest the files name.
      expect(await servedDigest(registry(), tag)).toBe(listDigest);
      const index = (await inspectRawManifest(registry(), registry().files, tag)) as Index;
      expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(index.manifests.map((m) => [m.platform.os, m.platform.architecture, m.platform.variant ?? ''].join('/').replace(/\/$/, ''))).toEqual(PLATFORMS);
      expect(new Set(index.manifests.map((m) => m.mediaType))).toEqual(new Set(['application/vnd.oci.image.manifest.v1+json']));
    }
    const index = (await inspectRawManifest(registry(), registry().files, tags[0] as string)) as Index;
    const context_ = { dir: cosignDir, dockerConfigDir: registry().files.dockerConfigDir };
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, context_, `${registry().host}/multi/app@${listDigest}`, keys.publicKey)).toHaveLength(1);
    }
    for (const child of index.manifests) {
      expect(await verifyWithKey('cosign-v3', context_, `${registry().host}/multi/app@${child.digest}`, keys.publicKey)).toHaveLength(1);
    }
  });

  it('without --sign-recursive signs the list alone: the platform images stay unsigned', async () => {
    const dir = context('FROM scratch\nARG TARGETPLATFORM\nCOPY hello.txt /\n', { 'hello.txt': 'list only\n' });
    const cosignDir = scratchDir('cosign');
    const keys = await generateKeyPair({ dir: cosignDir, dockerConfigDir: registry().files.dockerConfigDir }, 'list-only');
    const tag = `${registry().host}/multi/list-only:1`;
    const result = await build(
      ['--platform', 'linux/amd64,linux/arm64', '-t', tag, '--push', '--sign', '--tlog-upload=false', '--cosign-key', keys.privateKey, dir],
      { COSIGN_PASSWORD: keys.password },
    );
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const listDigest = await servedDigest(registry(), tag);
    const index = (await inspectRawManifest(registry(), registry().files, tag)) as Index;
    expect(index.manifests).toHaveLength(2);
    // The .sig tags as the registry answers them: the list's is there, each child's a 404 (a registry
    // that cannot be read throws instead of passing).
    const sigTag = (digest: string) => `${registry().host}/multi/list-only:${digest.replace(':', '-')}.sig`;
    expect(await manifestState(registry(), sigTag(listDigest))).toBe('present');
    for (const child of index.manifests) expect(await manifestState(registry(), sigTag(child.digest))).toBe('absent');
  });

  it('builds the platforms at the same time: each platform\'s step waits inside the build for the others\' steps', async () => {
    // The steps run natively ($BUILDPLATFORM) but once per target platform, in each platform's solve;
    // each one waits at a meeting of all three, which never happens unless the solves overlap.
    const meeting = signals().meeting(PLATFORMS.length);
    const dir = context(`FROM --platform=$BUILDPLATFORM ${registry().baseImage} AS steps\nARG TARGETPLATFORM\n`
      + `RUN start=$(date +%s) && met=$(wget -qO- ${signals().url}/meet/${meeting}/$(echo $TARGETPLATFORM | tr / -)) && sleep 2 && printf 'start %s\\nmet %s\\nend %s\\n' $start $met $(date +%s) > /timeline\n`
      + 'FROM scratch\nCOPY --from=steps /timeline /\n');
    const tag = `${registry().host}/multi/parallel:1`;
    const result = await build(['--platform', PLATFORMS.join(','), '-t', tag, '--push', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const index = (await inspectRawManifest(registry(), registry().files, tag)) as Index;
    const timelines = await Promise.all(index.manifests.map(async (m) => {
      const [, start, met, end] = /start (\d+)\nmet (\w+)\nend (\d+)\n/.exec(await imageBytes(registry(), `${registry().host}/multi/parallel@${m.digest}`)) ?? [];
      return { start: Number(start), met, end: Number(end) };
    }));
    expect(timelines.map(({ met }) => met)).toEqual(['together', 'together', 'together']);
    // What the steps wrote agrees: every platform's step started before any of them ended.
    expect(Math.max(...timelines.map(({ start }) => start))).toBeLessThan(Math.min(...timelines.map(({ end }) => end)));
  });

  it('one platform failing cancels the others in their long step, names the platform and step, and pushes no list', async () => {
    // amd64 and arm/v7 sit in a step that only ends when the test answers (it never does); arm64's step
    // fails once both are inside theirs. Cancelled, their steps are killed: the server sees the
    // connections drop, and the line after the wait ("finished") never runs.
    const holds = ['linux-amd64', 'linux-arm-v7'].map((name) => `cancel-${name}`);
    const dir = context(`FROM --platform=$BUILDPLATFORM ${registry().baseImage}\nARG TARGETPLATFORM\n`
      + `RUN if [ "$TARGETPLATFORM" = linux/arm64 ]; then wget -qO- ${signals().url}/held/${holds.join(',')} && echo "arm64 gives up" && exit 3; fi; `
      + `wget -qO- ${signals().url}/hold/cancel-$(echo $TARGETPLATFORM | tr / -) && echo finished > /finished\n`);
    const tag = `${registry().host}/multi/broken:1`;
    const result = await build(['--platform', PLATFORMS.join(','), '-t', tag, '--push', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: linux\/arm64: .*exit code: 3/m);
    expect(result.stderr).toContain('arm64 gives up');
    expect(await Promise.all(holds.map((hold) => signals().holdOutcome(hold)))).toEqual(['dropped', 'dropped']);
    expect(await manifestState(registry(), tag)).toBe('absent');
  });

  it('a platform failing at a COPY names the platform and the missing file, and pushes no list', async () => {
    // Only amd64 and arm/v7 have their file: arm64's COPY fails.
    const dir = context('FROM scratch\nARG TARGETARCH\nCOPY only-${TARGETARCH}.txt /\n', { 'only-amd64.txt': 'a', 'only-arm.txt': 'b' });
    const tag = `${registry().host}/multi/broken-copy:1`;
    const result = await build(['--platform', PLATFORMS.join(','), '-t', tag, '--push', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: linux\/arm64: .*only-arm64\.txt.*not found/m);
    expect(await manifestState(registry(), tag)).toBe('absent');
  });

  it('runs RUN steps of every platform (under QEMU where not native)', async () => {
    const dir = context('FROM scratch\nARG TARGETARCH\nCOPY probe-${TARGETARCH} /probe\nRUN ["/probe", "/ran-on"]\n');
    // A static Go program per architecture: no base image, no shell needed.
    for (const [goarch, extra] of [['amd64', {}], ['arm64', {}], ['arm', { GOARM: '7' }]] as const) {
      execFileSync('go', ['build', '-trimpath', '-o', join(dir, `probe-${goarch}`), '.'], {
        cwd: 'integration/fixtures/arch-probe',
        env: { ...process.env, GOOS: 'linux', GOARCH: goarch, CGO_ENABLED: '0', GOFLAGS: '', ...extra },
      });
    }
    const tag = `${registry().host}/multi/probe:1`;
    const result = await build(['--platform', PLATFORMS.join(','), '-t', tag, '--push', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const index = (await inspectRawManifest(registry(), registry().files, tag)) as Index;
    const ranAs = await Promise.all(index.manifests.map(async (m) => /ran as (linux\/[a-z0-9]+)\n/.exec(await imageBytes(registry(), `${registry().host}/multi/probe@${m.digest}`))?.[1]));
    expect(ranAs).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm']);
  });

  it('assembles a Docker manifest list when the platform images are Docker schema 2', async () => {
    const dir = context('FROM scratch\nCOPY hello.txt /\n', { 'hello.txt': 'hi\n' });
    const tag = `${registry().host}/multi/docker:1`;
    const result = await build(['--platform', 'linux/amd64,linux/arm64', '-t', tag, '-o', 'type=registry,oci-mediatypes=false', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const list = (await inspectRawManifest(registry(), registry().files, tag)) as Index;
    expect(list.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(list.manifests.map((m) => m.mediaType)).toEqual([
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ]);
  });

  it('writes each entry\'s platform as the image\'s own config says, not as --platform was typed', async () => {
    // BuildKit writes linux/arm64/v8 as arm64 with no variant in the image's config (amd64/v2 keeps
    // its variant): a list copied from the flag would say v8.
    const dir = context(`FROM ${registry().baseImage}\nCOPY hello.txt /\n`, { 'hello.txt': 'variants\n' });
    const tag = `${registry().host}/multi/variants:1`;
    const result = await build(['--platform', 'linux/amd64/v2,linux/arm64/v8', '-t', tag, '--push', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const index = (await inspectRawManifest(registry(), registry().files, tag)) as Index;
    expect(index.manifests.map((m) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64', variant: 'v2' },
      { os: 'linux', architecture: 'arm64' },
    ]);
    for (const entry of index.manifests) {
      const config = JSON.parse(await skopeo(['inspect', '--config', ...skopeoRegistryFlags(registry(), registry().files, ''), `docker://${registry().host}/multi/variants@${entry.digest}`])) as Index['manifests'][number]['platform'];
      expect(entry.platform).toEqual({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) });
    }
  });

  it('puts --annotation index: on the list it assembles, and the others on each platform image', async () => {
    const dir = context('FROM scratch\nCOPY hello.txt /\n', { 'hello.txt': 'annotated list\n' });
    const tag = `${registry().host}/multi/annotated:1`;
    const result = await build(['--platform', 'linux/amd64,linux/arm64', '-t', tag, '--push', '--annotation', 'index:com.example.list=l', '--annotation', 'com.example.image=i', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const list = (await inspectRawManifest(registry(), registry().files, tag)) as Index & { annotations?: Record<string, string> };
    expect(list.annotations).toEqual({ 'com.example.list': 'l' });
    for (const entry of list.manifests) {
      const image = (await inspectRawManifest(registry(), registry().files, `${registry().host}/multi/annotated@${entry.digest}`)) as { annotations?: Record<string, string> };
      expect(image.annotations?.['com.example.image']).toBe('i');
      expect(image.annotations?.['com.example.list']).toBeUndefined();
    }
  });

  it('on a terminal, shows every platform as a live task of one view', () => {
    const dir = context('FROM scratch\nCOPY hello.txt /\n', { 'hello.txt': 'hi\n' });
    const screen = join(scratchDir('tty'), 'screen');
    const command = `stty cols 120 rows 40; ${process.execPath} dist/kubectl-build.js --no-cache --platform linux/amd64,linux/arm64 -t ${registry().host}/multi/tty:1 --push ${dir}`;
    execFileSync('script', ['-qec', command, screen], {
      env: { ...process.env, BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir },
      stdio: 'ignore',
      timeout: 120_000,
    });
    const text = stripVTControlCharacters(readFileSync(screen, 'utf8'));
    expect(text).toMatch(/✔ linux\/amd64: Building \d+\.\ds/);
    expect(text).toMatch(/✔ linux\/arm64: Building \d+\.\ds/);
    expect(text).toMatch(/pushed \S+multi\/tty:1 as sha256:/);
  });

  it('needs --push and a tag: the list lives in the registry', async () => {
    const result = await build(['--platform', 'linux/amd64,linux/arm64', context('FROM scratch\n')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: building several platforms needs --push and -t/);
  });
});
