// The fault matrix, registry rows (docs/faults.md): the registry plain and with auth, behind Toxiproxy
// (refused, reset after N bytes, latency: the whole flow) or behind the HTTP forwarder (500/503/401
// and a cut connection, aimed at one phase of the flow: buildkitd's push, the signature's writes,
// verify's reads). Each cell: the exit code (1 a failure; 2 for trust verify's "no verdict"), one
// sentence that names the registry and what to do (no stack trace), and the registry afterwards,
// read on the registry itself (registry-state.ts: 404 = absent, anything else throws): no image
// under the tag unless the push finished, no signature unless the signing finished.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './harness/cli.ts';
import { generateKeyPair, type KeyPair } from './harness/cosign.ts';
import { useFaultyRegistry } from './harness/fault-proxy.ts';
import { cutConnection, failAfter, failFirst, neverAnswer } from './harness/http-forwarder.ts';
import { scratchDir, useBuildkitd, useRegistry, type Handle, type TestRegistry } from './harness/index.ts';
import { useProxiedRegistry } from './harness/registry-proxy.ts';
import { digestTag, manifestState, readManifest, readReferrers } from './harness/registry-state.ts';
import { expectEndedWithin } from './harness/bounds.ts';

const plain = useRegistry({ kind: 'oci', seed: true });
const auth = useRegistry({ kind: 'oci', auth: true });
const faultyPlain = useFaultyRegistry(plain);
const faultyAuth = useFaultyRegistry(auth);
const proxiedPlain = useProxiedRegistry(plain);
const proxiedAuth = useProxiedRegistry(auth);
const buildkitd = useBuildkitd({ trust: [plain, auth, faultyPlain, faultyAuth, proxiedPlain, proxiedAuth] });

function signingKey(): Promise<KeyPair> {
  return generateKeyPair({ dir: scratchDirOutsideTest(), dockerConfigDir: plain().files.dockerConfigDir }, 'faults');
}

/** A folder that outlives the running test (a key or image shared by several), removed with the OS's /tmp. */
function scratchDirOutsideTest(): string {
  return mkdtempSync(join(tmpdir(), 'kb-faults-'));
}

interface Flow {
  readonly result: CliResult;
  readonly tag: string;
  readonly repository: string;
}

/**
 * kubectl build --push (with --sign and `sign` when given, and `extra` flags) of a fresh image to
 * `target`, as `repository:1`, its layer `layerBytes` big; killed after `timeoutMs`.
 */
async function buildPush(target: TestRegistry, repository: string, sign?: string[], { extra = [] as string[], timeoutMs = 150_000, layerBytes = 0 } = {}): Promise<Flow> {
  const dir = scratchDir('faults-context');
  // `layerBytes` of random data (they do not compress) make a layer that big.
  const layer = layerBytes > 0 ? ` && head -c ${layerBytes} /dev/urandom > /payload` : '';
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${plain().baseImage}\nRUN echo ${repository} $RANDOM > /marker${layer}\n`);
  const tag = `${target.host}/${repository}:1`;
  const key = sign ? await signingKey() : undefined;
  const signArgs = key ? ['--sign', '--tlog-upload=false', '--cosign-key', key.privateKey, ...(sign ?? [])] : [];
  const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', tag, '--push', ...signArgs, ...extra, dir], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: target.files.dockerConfigDir, ...(key ? { COSIGN_PASSWORD: key.password } : {}) },
    timeoutMs,
  });
  return { result, tag, repository };
}

/** The image digest the build printed, for reading the registry afterwards. */
function pushedDigest(result: CliResult): string {
  const digest = /^pushed \S+ as (sha256:[0-9a-f]{64})/m.exec(result.stderr)?.[1];
  if (!digest) throw new Error(`no digest in the output:\n${result.stderr.slice(-1500)}`);
  return digest;
}

/**
 * trust verify's "no verdict" as a user meets it: exit 2 and, in its report (a table on stdout; any
 * error on stderr), the registry named with what went wrong; no stack.
 */
function expectUndecided(result: CliResult, host: string, what: RegExp): void {
  const said = `${result.stdout}${result.stderr}`;
  expect(result.status, said).toBe(2);
  expect(said).toContain(host);
  expect(said).toMatch(what);
  expect(said).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/** A failure as a user meets it: exit 1 (or 2 for verify), an error line naming `host` and saying `what`, a hint, no stack. */
function expectReported(result: CliResult, host: string, what: RegExp, exitCode = 1): void {
  expect(result.status, result.stderr.slice(-1500)).toBe(exitCode);
  // The CLI's own error is its last such line (BuildKit's progress may log "error: ..." lines of its retries before).
  const error = result.stderr.split('\n').findLast((line) => line.startsWith('error: '));
  expect(error, result.stderr.slice(-1500)).toContain(host);
  expect(error).toMatch(what);
  expect(result.stderr).toMatch(/^hint: /m);
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe.each([
  ['plain', plain, faultyPlain, proxiedPlain],
  ['with auth', auth, faultyAuth, proxiedAuth],
] as ReadonlyArray<[string, Handle<TestRegistry>, typeof faultyPlain, typeof proxiedPlain]>)('registry (%s) behind a fault', (label, registry, faulty, proxied) => {
  const slug = label.replace(/\W+/g, '-');
  const name = (text: string) => text.toLowerCase().replace(/\W+/g, '-').replace(/-$/, '');

  describe('build --push', () => {
    it(`faults-registry ${label} refused: the push fails, naming the registry; nothing under the tag`, async () => {
      await faulty().faults.refuse();
      const { result, tag } = await buildPush(faulty(), `faults/${slug}/push-refused`);
      expectReported(result, faulty().host, /the builder lost its connection to the registry \S+ while pushing/);
      expectEndedWithin(result, 20, 'refused push');
      expect(await manifestState(registry(), tag.replace(faulty().host, registry().host))).toBe('absent');
    });

    it(`faults-registry ${label} reset after N bytes: the push fails, naming the registry; nothing under the tag`, async () => {
      await faulty().faults.resetAfter(200);
      const { result, tag } = await buildPush(faulty(), `faults/${slug}/push-reset`);
      expectReported(result, faulty().host, /the builder lost its connection to the registry \S+ while pushing/);
      expect(await manifestState(registry(), tag.replace(faulty().host, registry().host))).toBe('absent');
    });

    it(`faults-registry ${label} HTTP 500 on the manifest PUT: fails, naming the registry; nothing under the tag`, async () => {
      proxied().intercept(failAfter(/^PUT \/v2\/.*\/manifests\//, 0, 500));
      const { result, tag } = await buildPush(proxied(), `faults/${slug}/push-500`);
      expectReported(result, proxied().host, /failed the push: .*500/);
      expect(await manifestState(registry(), tag.replace(proxied().host, registry().host))).toBe('absent');
    });

    it(`faults-registry ${label} HTTP 503 on the blob upload: fails, naming the registry; nothing under the tag`, async () => {
      proxied().intercept(failAfter(/^POST \/v2\/.*\/blobs\/uploads\//, 0, 503));
      const { result, tag } = await buildPush(proxied(), `faults/${slug}/push-503`);
      expectReported(result, proxied().host, /failed the push: .*503/);
      expect(await manifestState(registry(), tag.replace(proxied().host, registry().host))).toBe('absent');
    });

    it(`faults-registry ${label} 401 mid-flow (the manifest PUT, after the blobs): fails, naming the registry; nothing under the tag`, async () => {
      proxied().intercept(failAfter(/^PUT \/v2\/.*\/manifests\//, 0, 401));
      const { result, tag } = await buildPush(proxied(), `faults/${slug}/push-401`);
      expectReported(result, proxied().host, /refused the push: .*401/);
      expect(await manifestState(registry(), tag.replace(proxied().host, registry().host))).toBe('absent');
    });

    // BuildKit's push has no answer timeout of its own (v0.34.2 waited the whole 420 s it was given):
    // the push's progress silent for --registry-timeout and the registry silent to the CLI's own
    // request too, the build is cancelled (pkg/build/push-watch.ts). Killed by the test at 60 s.
    it(`faults-registry ${label} blackhole during the builder's push (--registry-timeout 2s): exit 1, the registry named; nothing under the tag`, async () => {
      await faulty().faults.blackhole();
      const { result, tag } = await buildPush(faulty(), `faults/${slug}/push-blackhole`, undefined, { extra: ['--registry-timeout', '2s'], timeoutMs: 60_000 });
      expectReported(result, faulty().host, /the registry \S+ did not answer the builder's push within 2 s/);
      expectEndedWithin(result, 25, 'blackhole during the push');
      expect(result.stderr).toMatch(/^hint: .*reachable from the builder.*raise --registry-timeout$/m);
      expect(await manifestState(registry(), tag.replace(faulty().host, registry().host))).toBe('absent');
    });

    // The same bound for a cache exported to a registry (--cache-to type=registry), a push of its
    // own on a vertex of its own: the image goes to a healthy registry, the cache to a blackhole.
    // Before the watch covered it, the build waited on BuildKit (killed by the test at 60 s).
    it(`faults-registry ${label} blackhole during the cache export (--cache-to type=registry, --registry-timeout 2s): exit 1, the cache's registry named`, async () => {
      await faulty().faults.blackhole();
      const cache = `type=registry,ref=${faulty().host}/faults/${slug}/cache:1,mode=max`;
      const { result } = await buildPush(registry(), `faults/${slug}/cache-blackhole`, undefined, { extra: ['--cache-to', cache, '--registry-timeout', '2s'], timeoutMs: 60_000 });
      expectReported(result, faulty().host, /the registry \S+ did not answer the builder's cache export within 2 s/);
      expectEndedWithin(result, 25, 'blackhole during the cache export');
    });

    // The other side of that bound: BuildKit says nothing while a layer uploads, and a big layer
    // going up slowly is silent far longer than --registry-timeout, but its registry answers.
    it(`faults-registry ${label} slow upload (64 KB/s, a 1 MiB layer, --registry-timeout 2s): the push is not cut, it finishes`, async () => {
      await faulty().faults.slowUpload(64);
      const { result, tag } = await buildPush(faulty(), `faults/${slug}/push-slow`, undefined, { extra: ['--registry-timeout', '2s'], layerBytes: 1 << 20 });
      expect(result.status, result.stderr.slice(-1500)).toBe(0);
      expect(await manifestState(registry(), tag.replace(faulty().host, registry().host))).toBe('present');
    }, 240_000);

    it(`faults-registry ${label} latency 5 s: the push finishes`, async () => {
      await faulty().faults.latency(5_000);
      const { result, tag } = await buildPush(faulty(), `faults/${slug}/push-latency`);
      expect(result.status, result.stderr.slice(-1500)).toBe(0);
      expect(await manifestState(registry(), tag.replace(faulty().host, registry().host))).toBe('present');
    }, 240_000);
  });

  describe('build --push --sign (key, legacy .sig)', () => {
    const sig = /^PUT \/v2\/.*\/manifests\/sha256-[0-9a-f]{64}\.sig$/;

    // A failed signature write is not sent again blindly: the .sig tag is read back first
    // (pkg/sign/tag-update.ts) and written again only while the signature is not there, a bounded
    // number of times; a refusal (401) is final at once.
    it.each([
      ['HTTP 500', () => failAfter(sig, 0, 500), /the registry failed writing \S+\.sig: HTTP 500/],
      ['HTTP 503', () => failAfter(sig, 0, 503), /the registry failed writing \S+\.sig: HTTP 503/],
      ['401 mid-flow', () => failAfter(sig, 0, 401), /the registry refused writing \S+\.sig \(HTTP 401\)/],
      ['reset (cut before it landed)', () => cutConnection(sig), /the connection to the registry \S+ dropped during a write, which may or may not have been stored/],
    ])(`faults-registry ${label} %s on the signature PUT: exit 1 naming the registry; the image pushed, no signature`, async (fault, interception, said) => {
      proxied().intercept(interception());
      const { result, tag, repository } = await buildPush(proxied(), `faults/${slug}/sign-${name(fault)}`, []);
      expectReported(result, proxied().host, said);
      expect(result.stderr).toMatch(/was pushed, but its signature could not be stored/);
      const digest = pushedDigest(result);
      expect(await manifestState(registry(), tag.replace(proxied().host, registry().host))).toBe('present');
      expect(await readManifest(registry(), repository, `${digestTag(digest)}.sig`)).toBeUndefined();
    });

    it(`faults-registry ${label} reset after the signature landed: read back, found, signed once`, async () => {
      const cut = cutConnection(sig, true);
      proxied().intercept(cut);
      const { result, repository } = await buildPush(proxied(), `faults/${slug}/sign-landed`, []);
      expect(result.status, result.stderr.slice(-1500)).toBe(0);
      expect(result.stderr).toMatch(/pushed the signature to \S+\.sig \(1 signature there\)/);
      const stored = await readManifest(registry(), repository, `${digestTag(pushedDigest(result))}.sig`);
      expect(stored?.json.layers).toHaveLength(1);
    });

    it(`faults-registry ${label} blackhole on the signature PUT (--registry-timeout 2s): exit 1, the registry named; the image pushed, no signature`, async () => {
      proxied().intercept(neverAnswer(sig));
      const { result, tag, repository } = await buildPush(proxied(), `faults/${slug}/sign-blackhole`, ['--registry-timeout', '2s']);
      expectReported(result, proxied().host, /the registry \S+ did not answer: no answer within 2 s/);
      expectEndedWithin(result, 40, 'blackhole on the signature PUT');
      expect(result.stderr).toMatch(/^hint: check the registry and the network between you, or raise --registry-timeout$/m);
      expect(await manifestState(registry(), tag.replace(proxied().host, registry().host))).toBe('present');
      expect(await readManifest(registry(), repository, `${digestTag(pushedDigest(result))}.sig`)).toBeUndefined();
    });

    it(`faults-registry ${label} HTTP 503 twice on reading the existing signatures: retried, signed`, async () => {
      const reads = failFirst(/^GET \/v2\/.*\/manifests\/sha256-[0-9a-f]{64}\.sig$/, 2, 503);
      proxied().intercept(reads);
      const { result, repository } = await buildPush(proxied(), `faults/${slug}/sign-read-503`, []);
      expect(result.status, result.stderr.slice(-1500)).toBe(0);
      expect(reads.seen()).toBeGreaterThanOrEqual(3);
      expect((await readManifest(registry(), repository, `${digestTag(pushedDigest(result))}.sig`))?.json.layers).toHaveLength(1);
    });
  });

  describe('build --push --sign (key, bundle)', () => {
    const referrerPut = /^PUT \/v2\/.*\/manifests\/sha256:[0-9a-f]{64}$/;

    it.each([
      ['HTTP 500', () => failAfter(referrerPut, 0, 500), /the registry failed writing \S+: HTTP 500/],
      ['401 mid-flow', () => failAfter(referrerPut, 0, 401), /the registry refused writing \S+ \(HTTP 401\)/],
    ])(`faults-registry ${label} %s on the bundle's manifest PUT: exit 1 naming the registry; the image pushed, no referrer`, async (fault, interception, said) => {
      proxied().intercept(interception());
      const { result, tag, repository } = await buildPush(proxied(), `faults/${slug}/bundle-${name(fault)}`, ['--signature-format', 'bundle']);
      expectReported(result, proxied().host, said);
      expect(result.stderr).toMatch(/was pushed, but its signature could not be stored/);
      expect(await manifestState(registry(), tag.replace(proxied().host, registry().host))).toBe('present');
      expect(await readReferrers(registry(), repository, pushedDigest(result))).toEqual([]);
    });
  });

  describe('trust verify', () => {
    // One image signed with a key for the whole describe, pushed straight to the registry.
    let signed: Promise<{ repository: string; digest: string; publicKey: string }> | undefined;
    function signedImage() {
      signed ??= (async () => {
        const key = await signingKey();
        const dir = scratchDirOutsideTest();
        writeFileSync(join(dir, 'Dockerfile'), `FROM ${plain().baseImage}\nRUN echo verify-${slug} > /marker\n`);
        const repository = `faults/${slug}/verify`;
        const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', `${registry().host}/${repository}:1`, '--push', '--sign', '--tlog-upload=false', '--cosign-key', key.privateKey, dir], {
          env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir, COSIGN_PASSWORD: key.password },
        });
        expect(result.status, result.stderr.slice(-1500)).toBe(0);
        return { repository, digest: pushedDigest(result), publicKey: key.publicKey };
      })();
      return signed;
    }

    async function verify(through: TestRegistry, extra: string[] = []): Promise<CliResult> {
      const image = await signedImage();
      return runCli('kubectl-trust', ['verify', '--key', image.publicKey, '--insecure-ignore-tlog=true', ...extra, `${through.host}/${image.repository}@${image.digest}`], {
        env: { DOCKER_CONFIG: through.files.dockerConfigDir, COSIGN_REPOSITORY: undefined },
        timeoutMs: 150_000,
      });
    }

    it(`faults-registry ${label} refused: no verdict (exit 2), naming the registry`, async () => {
      await signedImage();
      await faulty().faults.refuse();
      const result = await verify(faulty());
      expectUndecided(result, faulty().host, /could not decide: cannot reach the registry \S+ \(check the registry address and that it is running\)/);
      expectEndedWithin(result, 15, 'verify, refused');
    });

    it(`faults-registry ${label} reset: no verdict (exit 2), naming the registry`, async () => {
      await signedImage();
      await faulty().faults.resetPeer();
      expectUndecided(await verify(faulty()), faulty().host, /could not decide: cannot reach the registry \S+ /);
    });

    it(`faults-registry ${label} blackhole (--registry-timeout 2s): no verdict (exit 2), the registry named`, async () => {
      await signedImage();
      await faulty().faults.blackhole();
      const result = await verify(faulty(), ['--registry-timeout', '2s']);
      expectUndecided(result, faulty().host, /could not decide: the registry \S+ did not answer: no answer within 2 s/);
      expectEndedWithin(result, 25, 'verify, blackhole');
    });

    it(`faults-registry ${label} latency 5 s: the verdict is reached (pass)`, async () => {
      await signedImage();
      await faulty().faults.latency(5_000);
      const result = await verify(faulty());
      expect(result.status, result.stderr).toBe(0);
    }, 240_000);

    it(`faults-registry ${label} HTTP 503 twice on each read: retried, the verdict is reached (pass)`, async () => {
      await signedImage();
      const reads = failFirst(/^GET \/v2\/.*\/manifests\//, 2, 503);
      proxied().intercept(reads);
      const result = await verify(proxied());
      expect(result.status, result.stderr).toBe(0);
      expect(reads.seen()).toBeGreaterThanOrEqual(3);
    });

    it(`faults-registry ${label} HTTP 500 on the signature read: no verdict (exit 2), naming the registry`, async () => {
      await signedImage();
      proxied().intercept(failAfter(/^GET \/v2\/.*\/manifests\/sha256-[0-9a-f]{64}\.sig$/, 0, 500));
      expectUndecided(await verify(proxied()), proxied().host, /could not decide: the registry failed reading \S+\.sig: HTTP 500/);
    });

    it(`faults-registry ${label} 401 mid-flow (the signature read): no verdict (exit 2), naming the registry`, async () => {
      await signedImage();
      proxied().intercept(failAfter(/^GET \/v2\/.*\/manifests\/sha256-[0-9a-f]{64}\.sig$/, 0, 401));
      expectUndecided(await verify(proxied()), proxied().host, /could not decide: the registry refused reading \S+\.sig \(HTTP 401\) \(check the credentials/);
    });
  });
});
