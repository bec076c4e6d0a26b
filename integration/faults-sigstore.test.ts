// The fault matrix, Sigstore rows (docs/faults.md): keyless `kubectl build --push --sign` with an
// identity token, against the local Sigstore with Fulcio or Rekor behind the HTTP forwarder, and
// `--cosign-key awskms://` signing with the KMS behind it (its Sign call faulty, the key read before
// the build passing), and the browser login on a terminal with the OIDC issuer's discovery faulty
// (the login starts before the build: nothing is built):
// refused (nothing listens), a cut connection, no answer (--sign-timeout 2s), HTTP 500/503, 401.
// Each cell: exit 1, one sentence naming the service and what to do (no stack trace), and the
// registry afterwards, read on the registry itself: the image pushed, and no signature in either
// layout (no signature without its certificate, no signature without its log entry).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../hack/lib/net.ts';
import { runCli, type CliResult } from './harness/cli.ts';
import { cutConnection, failAfter, neverAnswer, reply, type Interception } from './harness/http-forwarder.ts';
import { scratchDir, useBuildkitd, useKms, useRegistry } from './harness/index.ts';
import { createKmsKey, KMS_ENV } from './harness/kms.ts';
import { useInterceptedService } from './harness/registry-proxy.ts';
import { onTerminal } from './harness/terminal.ts';
import { digestTag, manifestState, readManifest, readReferrers } from './harness/registry-state.ts';
import { sigstoreFlags, useSigstore } from './harness/sigstore.ts';

const registry = useRegistry({ kind: 'oci', seed: true });
const buildkitd = useBuildkitd({ trust: [registry] });
const sigstore = useSigstore();
const fulcio = useInterceptedService(() => sigstore().fulcioUrl);
const rekor = useInterceptedService(() => sigstore().rekorUrl);
const issuer = useInterceptedService(() => sigstore().issuerUrl);
const kms = useKms();
const kmsProxy = useInterceptedService(() => kms().endpoint);

const CERTIFICATE = /^POST \/api\/v2\/signingCert$/;
const LOG_ENTRY = /^POST \/api\/v1\/log\/entries$/;

interface Signed {
  readonly result: CliResult;
  readonly repository: string;
  readonly digest: string | undefined;
}

/** kubectl build --push --sign, keyless with a fresh token, through the proxied Fulcio and Rekor (or `urls`). */
async function buildPushSign(repository: string, urls: { fulcio?: string; rekor?: string } = {}, format = 'both', key?: string): Promise<Signed> {
  const dir = scratchDir('faults-sigstore');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo ${repository} $RANDOM > /marker\n`);
  const identity = key ? ['--cosign-key', key] : [];
  const flags = [...sigstoreFlags(sigstore()), '--fulcio-url', urls.fulcio ?? fulcio().url, '--rekor-url', urls.rekor ?? rekor().url, '--sign-timeout', '2s', ...identity];
  const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', `${registry().host}/${repository}:1`, '--push', '--sign', '--signature-format', format, ...flags, dir], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir, ...(key ? KMS_ENV : { SIGSTORE_ID_TOKEN: await sigstore().token() }) },
    timeoutMs: 150_000,
  });
  return { result, repository, digest: /^pushed \S+ as (sha256:[0-9a-f]{64})/m.exec(result.stderr)?.[1] };
}

/** Exit 1 with one error sentence naming `service` and saying `what`, a hint, no stack. */
function expectReported(result: CliResult, service: string, what: RegExp, hint: RegExp): void {
  expect(result.status, result.stderr.slice(-1500)).toBe(1);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, result.stderr.slice(-1500)).toHaveLength(1);
  expect(errors[0]).toContain(service);
  expect(errors[0]).toMatch(what);
  expect(result.stderr.split('\n').find((line) => line.startsWith('hint: '))).toMatch(hint);
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/** The image was pushed, and neither layout holds a signature for it. */
async function expectPushedUnsigned({ result, repository, digest }: Signed): Promise<void> {
  expect(digest, result.stderr.slice(-1500)).toBeDefined();
  expect((await readManifest(registry(), repository, digest as string))?.digest).toBe(digest);
  expect(await readManifest(registry(), repository, `${digestTag(digest as string)}.sig`)).toBeUndefined();
  expect(await readReferrers(registry(), repository, digest as string)).toEqual([]);
}

const closedPort = async () => `http://127.0.0.1:${await freePort()}`;

describe.each([
  ['Fulcio', 'fulcio', fulcio, CERTIFICATE, 'Fulcio at', /check --fulcio-url/],
  ['Rekor', 'rekor', rekor, LOG_ENTRY, 'the transparency log at', /check --rekor-url/],
] as const)('keyless build --push --sign, %s behind a fault', (label, key, service, request, named, unreachableHint) => {
  const slug = key;

  it(`faults-sigstore ${label} refused: exit 1 naming it, the image pushed, no signature`, async () => {
    const url = await closedPort();
    const signed = await buildPushSign(`faults/${slug}/refused`, { [key]: url });
    expectReported(signed.result, `${named} ${url}`, /cannot reach .* \(ECONNREFUSED\)/, unreachableHint);
    await expectPushedUnsigned(signed);
  });

  it.each([
    ['reset (cut before it reached the service)', () => cutConnection(request), /cannot reach .* \(ECONNRESET|socket hang up/, unreachableHint],
    ['HTTP 500', () => failAfter(request, 0, 500), /failed on .*\(HTTP 500\)/, /try again later/],
    ['HTTP 503', () => failAfter(request, 0, 503), /failed on .*\(HTTP 503\)/, /try again later/],
    ['401', () => failAfter(request, 0, 401), /refused .*\(HTTP 401\)/, /./],
    ['blackhole (--sign-timeout 2s)', () => neverAnswer(request), /did not answer within 2 s, asked 3 times/, /raise --sign-timeout/],
  ] as ReadonlyArray<[string, () => Interception, RegExp, RegExp]>)(`faults-sigstore ${label} %s: exit 1 naming it, the image pushed, no signature`, async (fault, interception, said, hint) => {
    service().intercept(interception());
    const signed = await buildPushSign(`faults/${slug}/${fault.toLowerCase().replace(/\W+/g, '-').replace(/-$/, '')}`);
    expectReported(signed.result, `${named} ${service().url}`, said, hint);
    await expectPushedUnsigned(signed);
  });
});

describe('Rekor: an upload whose answer was lost is safe to repeat', () => {
  it('faults-sigstore Rekor reset after the entry landed: asked again, the entry found (409), signed', async () => {
    const cut = cutConnection(LOG_ENTRY, true, 1);
    rekor().intercept(cut);
    const { result, repository, digest } = await buildPushSign('faults/rekor/landed', {}, 'legacy');
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(cut.seen()).toBeGreaterThanOrEqual(2);
    const stored = await readManifest(registry(), repository, `${digestTag(digest as string)}.sig`);
    expect(stored?.json.layers?.[0]?.annotations?.['dev.sigstore.cosign/bundle']).toBeDefined();
  });
});

describe('build --push --sign --cosign-key awskms://, the KMS behind a fault on its Sign call', () => {
  /** `interception` for KMS's Sign calls only (every call is POST /; the operation is a header); the rest forwarded. */
  const onSign = (interception: Interception): Interception => ({
    match: /^POST \//,
    answer: (response, request, forward) =>
      request.headers['x-amz-target'] === 'TrentService.Sign' ? interception.answer(response, request, forward) : forward().then((answer) => reply(response, answer)),
  });

  it.each([
    // The SDK names a cut a TimeoutError too; its code (ECONNRESET) tells it from no answer.
    ['reset (cut before it reached KMS)', () => cutConnection(/./), /its signature could not be made: the connection to KMS dropped while signing with awskms:\/\//, /check the endpoint/],
    ['HTTP 500', () => failAfter(/./, 0, 500), /its signature could not be made: KMS failed on the key awskms:\/\/\S+ \(HTTP 500/, /try again later/],
    ['HTTP 503', () => failAfter(/./, 0, 503), /its signature could not be made: KMS failed on the key awskms:\/\/\S+ \(HTTP 503/, /try again later/],
    ['401', () => failAfter(/./, 0, 401), /its signature could not be made: KMS refused to sign with awskms:\/\//, /kms:Sign/],
    ['blackhole (--sign-timeout 2s)', () => neverAnswer(/./), /its signature could not be made: KMS did not answer within 2 s for awskms:\/\//, /raise --sign-timeout/],
  ] as ReadonlyArray<[string, () => Interception, RegExp, RegExp]>)('faults-sigstore KMS %s: exit 1 naming it, the image pushed, no signature', async (fault, interception, said, hint) => {
    const slug = fault.toLowerCase().replace(/\W+/g, '-').replace(/-$/, '');
    const key = await createKmsKey(kms(), `faults-${slug}`, kmsProxy().host);
    kmsProxy().intercept(onSign(interception()));
    const signed = await buildPushSign(`faults/kms/${slug}`, {}, 'both', key.uri);
    expectReported(signed.result, key.uri, said, hint);
    await expectPushedUnsigned(signed);
  });

  it('faults-sigstore KMS refused (before the build): exit 1 naming it, nothing built', async () => {
    const uri = `awskms://127.0.0.1:${await freePort()}/alias/nowhere`;
    const { result } = await buildPushSign('faults/kms/refused', {}, 'both', uri);
    expectReported(result, uri, /^error: cannot reach KMS for /, /check the endpoint/);
    expect(result.stderr).not.toMatch(/^#1 /m);
  });
});

describe('keyless build --push --sign with the browser login, the OIDC issuer behind a fault on its discovery', () => {
  const DISCOVERY = /^GET \/\.well-known\/openid-configuration$/;

  it.each([
    ['refused', undefined, /^error: cannot reach the OIDC issuer http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/m, /^hint: check --oidc-issuer/m],
    ['reset', () => cutConnection(DISCOVERY), /^error: cannot reach the OIDC issuer \S+ \(/m, /^hint: check --oidc-issuer/m],
    ['HTTP 500', () => failAfter(DISCOVERY, 0, 500), /^error: the OIDC issuer \S+ failed its discovery request \(HTTP 500\)/m, /^hint: try again later, or pass --identity-token/m],
    ['HTTP 503', () => failAfter(DISCOVERY, 0, 503), /^error: the OIDC issuer \S+ failed its discovery request \(HTTP 503\)/m, /^hint: try again later/m],
    ['401', () => failAfter(DISCOVERY, 0, 401), /^error: \S+ is not an OIDC issuer \(no usable discovery document, HTTP 401\)/m, /^hint: check --oidc-issuer/m],
    ['blackhole (--sign-timeout 2s)', () => neverAnswer(DISCOVERY), /^error: the OIDC issuer \S+ did not answer within 2 s/m, /raise --sign-timeout/],
  ] as ReadonlyArray<[string, (() => Interception) | undefined, RegExp, RegExp]>)('faults-sigstore OIDC issuer %s: exit 1 before the build, naming it; nothing pushed', async (fault, interception, said, hint) => {
    const url = interception ? issuer().url : await closedPort();
    if (interception) issuer().intercept(interception());
    const repository = `faults/oidc/${fault.toLowerCase().replace(/\W+/g, '-').replace(/-$/, '')}`;
    const dir = scratchDir('faults-oidc');
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo ${repository} > /marker\n`);
    const tag = `${registry().host}/${repository}:1`;
    const terminal = onTerminal(['--progress', 'plain', '-t', tag, '--push', '--sign', ...sigstoreFlags(sigstore()), '--oidc-issuer', url, '--sign-timeout', '2s', dir], {
      BUILDKIT_HOST: buildkitd().address,
      DOCKER_CONFIG: registry().files.dockerConfigDir,
      COSIGN_EXPERIMENTAL: '1',
      KUBECTL_BUILD_BROWSER: 'none',
      SIGSTORE_ID_TOKEN: '',
    });
    expect(await terminal.exited, terminal.state.output.slice(-1500)).toBe(1);
    const output = terminal.state.output.replace(/\r/g, '');
    expect(output).toMatch(said);
    expect(output).toContain(url);
    expect(output).toMatch(hint);
    expect(output).not.toMatch(/^#1 /m);
    expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(await manifestState(registry(), tag)).toBe('absent');
  });
});

describe('KMS: a connection cut after KMS answered its Sign call', () => {
  // The signature was made and its answer lost (signing again is harmless: the SDK tries 3 times);
  // said as a cut (the hint: run again), not as a KMS that did not answer (a timeout to raise).
  it('faults-sigstore KMS reset after KMS answered: exit 1, "the connection to KMS dropped", the image pushed, no signature', async () => {
    const key = await createKmsKey(kms(), 'faults-cut-landed', kmsProxy().host);
    const cut = cutConnection(/^POST \//, true);
    kmsProxy().intercept({
      match: /^POST \//,
      answer: (response, request, forward) => (request.headers['x-amz-target'] === 'TrentService.Sign' ? cut.answer(response, request, forward) : forward().then((answer) => reply(response, answer))),
    });
    const signed = await buildPushSign('faults/kms/cut-landed', {}, 'both', key.uri);
    expectReported(signed.result, key.uri, /its signature could not be made: the connection to KMS dropped while signing with awskms:\/\//, /check the endpoint in the awskms:\/\/ URI and the network, then run the command again/);
    expect(cut.seen()).toBeGreaterThanOrEqual(1);
    await expectPushedUnsigned(signed);
  });
});
