// The fault matrix, multi-platform row (docs/faults.md): `kubectl build --platform a,b --push
// --sign --sign-recursive` with a registry fault on one platform's push or on one platform's
// signature (the HTTP forwarder in front of the registry, which the builder pushes through too).
// Each cell: exit 1, one sentence, and the registry afterwards, read on the registry itself: no list
// without its children, no signature on a list whose child could not be signed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './harness/cli.ts';
import { generateKeyPair } from './harness/cosign.ts';
import { cutConnection, failAfter, neverAnswer, type Interception } from './harness/http-forwarder.ts';
import { scratchDir, useBuildkitd, useRegistry } from './harness/index.ts';
import { useProxiedRegistry } from './harness/registry-proxy.ts';
import { digestTag, manifestState, readManifest } from './harness/registry-state.ts';
import { expectEndedWithin } from './harness/bounds.ts';

const registry = useRegistry({ kind: 'oci', seed: true });
const proxied = useProxiedRegistry(registry);
const buildkitd = useBuildkitd({ trust: [registry, proxied] });
const PLATFORMS = 'linux/amd64,linux/arm64';

async function buildPushSignRecursive(repository: string, args: readonly string[] = []): Promise<CliResult> {
  const dir = scratchDir('faults-multi');
  writeFileSync(join(dir, 'marker'), `${repository} ${Math.random()}\n`);
  writeFileSync(join(dir, 'Dockerfile'), `FROM scratch\nARG TARGETPLATFORM\nCOPY marker /\n`);
  const key = await generateKeyPair({ dir: scratchDir('faults-multi-key'), dockerConfigDir: registry().files.dockerConfigDir }, 'multi');
  return runCli(
    'kubectl-build',
    ['--progress', 'plain', '--platform', PLATFORMS, '-t', `${proxied().host}/${repository}:1`, '--push', '--sign', '--sign-recursive', '--tlog-upload=false', '--cosign-key', key.privateKey, ...args, dir],
    { env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: proxied().files.dockerConfigDir, COSIGN_PASSWORD: key.password }, timeoutMs: 150_000 },
  );
}

/** Exit 1 with one error sentence matching `what`, a hint, no stack. */
function expectReported(result: CliResult, what: RegExp): void {
  expect(result.status, result.stderr.slice(-1500)).toBe(1);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors.at(-1), result.stderr.slice(-1500)).toMatch(what);
  expect(result.stderr).toMatch(/^hint: /m);
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

const signatureOf = (repository: string, digest: string) => readManifest(registry(), repository, `${digestTag(digest)}.sig`);

describe('build --platform a,b --push --sign --sign-recursive, a registry fault on one platform', () => {
  it('faults-multiplatform HTTP 500 on one platform\'s push: exit 1 naming the platform, no list, nothing signed', async () => {
    const repository = 'faults/multi/push';
    // The first platform manifest pushed by digest lands; every later one (the other platform's, and
    // BuildKit's retries of it) is answered 500.
    const pushes = failAfter(new RegExp(`^PUT /v2/${repository}/manifests/sha256:[0-9a-f]{64}$`), 1, 500);
    proxied().intercept(pushes);
    const result = await buildPushSignRecursive(repository);
    expectReported(result, /^error: linux\/(amd64|arm64): the registry \S+ failed the push: .*500/);
    expect(await manifestState(registry(), `${registry().host}/${repository}:1`)).toBe('absent');
    // The platform that did land stays by digest, unsigned.
    const landed = proxied()
      .requests.filter((request) => request.startsWith(`PUT /v2/${repository}/manifests/sha256:`))
      .map((request) => request.slice(request.lastIndexOf('/') + 1))[0] as string;
    expect(pushes.forwarded).toEqual([201]);
    expect(await manifestState(registry(), `${registry().host}/${repository}@${landed}`)).toBe('present');
    expect(await signatureOf(repository, landed)).toBeUndefined();
  });

  it('faults-multiplatform HTTP 500 on one platform\'s signature: exit 1, the list pushed with its children, the list unsigned', async () => {
    const repository = 'faults/multi/sign';
    // The first signature written lands; every later one is answered 500.
    proxied().intercept(failAfter(new RegExp(`^PUT /v2/${repository}/manifests/sha256-[0-9a-f]{64}\\.sig$`), 1, 500));
    const result = await buildPushSignRecursive(repository);
    expectReported(result, /the registry failed writing \S+\.sig: HTTP 500/);
    const list = /^pushed \S+ as (sha256:[0-9a-f]{64})/m.exec(result.stderr)?.[1] as string;
    const children = [...result.stderr.matchAll(/^ {2}linux\/\w+: (sha256:[0-9a-f]{64})$/gm)].map((match) => match[1] as string);
    expect(children, result.stderr.slice(-1500)).toHaveLength(2);
    // No list without its children...
    const stored = await readManifest(registry(), repository, '1');
    expect(stored?.digest).toBe(list);
    for (const child of children) expect(await manifestState(registry(), `${registry().host}/${repository}@${child}`)).toBe('present');
    // ...and no signature on a list one of whose children could not be signed: one child signed, the other and the list not.
    const signed = await Promise.all(children.map(async (child) => (await signatureOf(repository, child)) !== undefined));
    expect(signed.filter(Boolean)).toHaveLength(1);
    expect(await signatureOf(repository, list)).toBeUndefined();
  });
});

describe('build --platform a,b --push --sign --sign-recursive, a registry fault on the list this machine assembles and pushes under the tag', () => {
  const LIST_PUT = (repository: string) => new RegExp(`^PUT /v2/${repository}/manifests/1$`);
  it.each([
    ['HTTP 500', (match: RegExp) => failAfter(match, 0, 500), /^error: the registry failed writing \S+:1: HTTP 500 /],
    ['HTTP 503', (match: RegExp) => failAfter(match, 0, 503), /^error: the registry failed writing \S+:1: HTTP 503 /],
    ['401', (match: RegExp) => failAfter(match, 0, 401), /^error: the registry refused writing \S+:1 \(HTTP 401\)$/],
    ['reset (cut before it reached the registry)', (match: RegExp) => cutConnection(match), /^error: the connection to the registry \S+ dropped during a write, which may or may not have been stored$/],
    ['blackhole (--registry-timeout 2s)', (match: RegExp) => neverAnswer(match), /^error: the registry \S+ did not answer: no answer within 2 s$/],
  ] as ReadonlyArray<[string, (match: RegExp) => Interception, RegExp]>)('faults-multiplatform %s on the list\'s PUT: exit 1 naming the registry, both platforms by digest, no list under the tag, nothing signed', async (fault, interception, said) => {
    const repository = `faults/multi/list-${fault.toLowerCase().replace(/\W+/g, '-').replace(/-$/, '')}`;
    proxied().intercept(interception(LIST_PUT(repository)));
    const result = await buildPushSignRecursive(repository, ['--registry-timeout', '2s']);
    expectReported(result, said);
    if (fault.startsWith('blackhole')) expectEndedWithin(result, 20, `list ${fault}`);
    expect(await manifestState(registry(), `${registry().host}/${repository}:1`)).toBe('absent');
    const children = proxied()
      .requests.filter((request) => request.startsWith(`PUT /v2/${repository}/manifests/sha256:`))
      .map((request) => request.slice(request.lastIndexOf('/') + 1));
    expect(children, result.stderr.slice(-1500)).toHaveLength(2);
    for (const child of children) {
      expect(await manifestState(registry(), `${registry().host}/${repository}@${child}`)).toBe('present');
      // The platform images are signed before the list, with --sign-recursive; but signing starts
      // only once the list is under the tag: a list that failed leaves nothing signed.
      expect(await signatureOf(repository, child)).toBeUndefined();
    }
  });
});
