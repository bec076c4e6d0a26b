// The fault matrix, Sigstore rows (docs/faults.md): keyless `kubectl build --push --sign` with an
// identity token, against the local Sigstore with Fulcio or Rekor behind the HTTP forwarder, and
// `--cosign-key awskms://` signing with the KMS behind it (its Sign call faulty, the key read before
// the build passing), and the browser login on a terminal with the OIDC issuer's discovery faulty
// (the login starts before the build: nothing is built):
// refused (nothing listens), a cut connection, no answer (--sign-timeout 2s), HTTP 500/503, 401.
// Each cell: exit 1, one sentence naming the service and what to do (no stack trace), and the
// registry afterwards, read on the registry itself: the image pushed, and no signature in either
// layout (no signature without its certificate, no signature without its log entry).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../hack/lib/net.ts';
import { runCli, type CliResult } from './harness/cli.ts';
import { COSIGN_VERSIONS, cosign, verifyWithKey } from './harness/cosign.ts';
import { gitHubTokenEndpoint, type GitHubTokenEndpoint } from './harness/github-actions.ts';
import { cutConnection, delayed, failAfter, failFirst, neverAnswer, reply, type Interception } from './harness/http-forwarder.ts';
import { scratchDir, useBuildkitd, useKms, useRegistry } from './harness/index.ts';
import { createKmsKey, KMS_ENV } from './harness/kms.ts';
import { useInterceptedService } from './harness/registry-proxy.ts';
import { useStepSignals } from './harness/step-signals.ts';
import { onTerminal } from './harness/terminal.ts';
import { digestTag, manifestState, readManifest, readReferrers } from './harness/registry-state.ts';
import { keylessVerifyFlags, sigstoreFlags, useSigstore } from './harness/sigstore.ts';
import { expectEndedWithin } from './harness/bounds.ts';

const registry = useRegistry({ kind: 'oci', seed: true });
const buildkitd = useBuildkitd({ trust: [registry] });
const sigstore = useSigstore();
const fulcio = useInterceptedService(() => sigstore().fulcioUrl);
const rekor = useInterceptedService(() => sigstore().rekorUrl);
const issuer = useInterceptedService(() => sigstore().issuerUrl);
const kms = useKms();
const kmsProxy = useInterceptedService(() => kms().endpoint);
const signals = useStepSignals(() => '127.0.0.1');

const CERTIFICATE = /^POST \/api\/v2\/signingCert$/;
const LOG_ENTRY = /^POST \/api\/v1\/log\/entries$/;

interface Signed {
  readonly result: CliResult;
  readonly repository: string;
  readonly digest: string | undefined;
}

interface RunOptions {
  /** --sign-timeout: 2s unless given; null leaves the flag out (its default). */
  readonly signTimeout?: string | null;
  /** Where the keyless identity comes from, instead of SIGSTORE_ID_TOKEN. */
  readonly identityEnv?: NodeJS.ProcessEnv;
}

/** kubectl build --push --sign, keyless with a fresh token, through the proxied Fulcio and Rekor (or `urls`). */
async function buildPushSign(repository: string, urls: { fulcio?: string; rekor?: string } = {}, format = 'both', key?: string, options: RunOptions = {}): Promise<Signed> {
  const dir = scratchDir('faults-sigstore');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo ${repository} $RANDOM > /marker\n`);
  const identity = key ? ['--cosign-key', key] : [];
  const timeout = options.signTimeout === null ? [] : ['--sign-timeout', options.signTimeout ?? '2s'];
  const flags = [...sigstoreFlags(sigstore()), '--fulcio-url', urls.fulcio ?? fulcio().url, '--rekor-url', urls.rekor ?? rekor().url, ...timeout, ...identity];
  const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', `${registry().host}/${repository}:1`, '--push', '--sign', '--signature-format', format, ...flags, dir], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir, ...(key ? KMS_ENV : options.identityEnv ?? { SIGSTORE_ID_TOKEN: await sigstore().token() }) },
    timeoutMs: 150_000,
  });
  return { result, repository, digest: /^pushed \S+ as (sha256:[0-9a-f]{64})/m.exec(result.stderr)?.[1] };
}

/** Exit 1 (or `exitCode`) with one error sentence naming `service` and saying `what`, a hint, no stack. */
function expectReported(result: CliResult, service: string, what: RegExp, hint: RegExp, exitCode = 1): void {
  expect(result.status, result.stderr.slice(-1500)).toBe(exitCode);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, result.stderr.slice(-1500)).toHaveLength(1);
  expect(errors[0]).toContain(service);
  expect(errors[0]).toMatch(what);
  expect(result.stderr.split('\n').find((line) => line.startsWith('hint: '))).toMatch(hint);
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/** The image was pushed, and neither layout holds a signature for it. */
async function expectPushedUnsigned({ result, repository, digest }: Pick<Signed, 'repository' | 'digest'> & { result: { stderr: string } }): Promise<void> {
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
    expectEndedWithin(signed.result, 20, `${label} refused`);
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
    if (fault.startsWith('blackhole')) expectEndedWithin(signed.result, 45, `${label} ${fault}`);
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
    if (fault.startsWith('blackhole')) expectEndedWithin(signed.result, 30, `KMS ${fault}`);
    await expectPushedUnsigned(signed);
  });

  it('faults-sigstore KMS refused (before the build): exit 1 naming it, nothing built', async () => {
    const uri = `awskms://127.0.0.1:${await freePort()}/alias/nowhere`;
    const { result } = await buildPushSign('faults/kms/refused', {}, 'both', uri);
    expectReported(result, uri, /^error: cannot reach KMS for /, /check the endpoint/);
    expectEndedWithin(result, 15, 'KMS refused');
    expect(result.stderr).not.toMatch(/^#1 /m);
  });
});

const OIDC_DISCOVERY = /^GET \/\.well-known\/openid-configuration$/;
const TOKEN_EXCHANGE = /^POST \/token$/;
const URL_LINE = /\n {2}(http\S+)\r?\n/;

/** kubectl build --push --sign on a terminal, logging in with the browser at `issuerUrl`; the "browser" is the test's. */
function loginOnTerminal(repository: string, issuerUrl: string, extra: string[] = ['--sign-timeout', '2s'], step = `RUN echo ${repository} $RANDOM > /marker`) {
  const dir = scratchDir('faults-oidc');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\n${step}\n`);
  const tag = `${registry().host}/${repository}:1`;
  const terminal = onTerminal(['--progress', 'plain', '-t', tag, '--push', '--sign', '--signature-format', 'both', ...sigstoreFlags(sigstore()), '--oidc-issuer', issuerUrl, ...extra, dir], {
    BUILDKIT_HOST: buildkitd().address,
    DOCKER_CONFIG: registry().files.dockerConfigDir,
    COSIGN_EXPERIMENTAL: '1',
    KUBECTL_BUILD_BROWSER: 'none',
    SIGSTORE_ID_TOKEN: '',
  });
  const output = () => terminal.state.output.replace(/\r/g, '');
  return { terminal, output, digest: () => /^pushed \S+ as (sha256:[0-9a-f]{64})/m.exec(output())?.[1] };
}

const slugOf = (fault: string) => fault.toLowerCase().replace(/\W+/g, '-').replace(/-$/, '');

/**
 * The issuer's discovery document as the issuer sent it, but naming `endpoint` as its token endpoint
 * (the forwarder, or a closed port), sent `delayMs` late.
 */
const tokenEndpointAt = (endpoint: string, delayMs = 0): Interception => ({
  match: OIDC_DISCOVERY,
  answer: async (response, _request, forward) => {
    const answer = await forward();
    await sleep(delayMs);
    const document = { ...(JSON.parse(answer.body.toString()) as Record<string, unknown>), token_endpoint: endpoint };
    reply(response, { ...answer, body: Buffer.from(JSON.stringify(document)) });
  },
});

describe("keyless build --push --sign with the browser login, the OIDC issuer's token exchange (after the browser's redirect) behind a fault", () => {
  // The login runs alongside the build. When it fails during the build (here: a RUN step held
  // until then), the build is stopped: nothing is pushed that could not be signed. When it fails
  // after the build (the last cell), the image is pushed, unsigned.
  it.each([
    ['refused', undefined, /cannot reach the token endpoint http:\/\/127\.0\.0\.1:\d+\/token of the OIDC issuer \S+ \(ECONNREFUSED\)/, /^hint: run the command again to log in again, or pass --identity-token/m],
    ['reset', () => cutConnection(TOKEN_EXCHANGE), /cannot reach the token endpoint \S+ of the OIDC issuer \S+ \(/, /^hint: run the command again to log in again, or pass --identity-token/m],
    ['HTTP 500', () => failAfter(TOKEN_EXCHANGE, 0, 500), /the OIDC issuer \S+ failed the login's token request \(HTTP 500\)/, /^hint: try again later, or pass --identity-token/m],
    ['HTTP 503', () => failAfter(TOKEN_EXCHANGE, 0, 503), /the OIDC issuer \S+ failed the login's token request \(HTTP 503\)/, /^hint: try again later, or pass --identity-token/m],
    [
      '401 (invalid_grant)',
      () => ({ match: TOKEN_EXCHANGE, answer: (response) => response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant', error_description: 'the code expired' })) }),
      /the OIDC issuer \S+ refused the login's code \(invalid_grant: the code expired\)/,
      /^hint: run the command again to log in again, or pass --identity-token/m,
    ],
    ['blackhole (--sign-timeout 2s)', () => neverAnswer(TOKEN_EXCHANGE), /the OIDC issuer \S+ did not answer the login's token request within 2 s/, /^hint: raise --sign-timeout, or pass --identity-token/m],
  ] as ReadonlyArray<[string, (() => Interception) | undefined, RegExp, RegExp]>)('faults-sigstore OIDC token exchange %s during the build: exit 1 naming the issuer, the build stopped, nothing pushed', async (fault, interception, said, hint) => {
    issuer().intercept(tokenEndpointAt(interception ? `${issuer().url}/token` : `${await closedPort()}/token`));
    if (interception) issuer().intercept(interception());
    const repository = `faults/oidc-token/${slugOf(fault)}`;
    const hold = `oidc-token-${slugOf(fault)}`;
    const { terminal, output } = loginOnTerminal(repository, issuer().url, undefined, `RUN wget -qO- ${signals().url}/hold/${hold} && echo finished > /finished`);
    const url = (await terminal.waitFor(URL_LINE))[1] as string;
    await signals().holdOpened(hold);
    // The browser is sent to the CLI's callback, which exchanges the code: the page says the login failed.
    const redirected = Date.now();
    await expect(sigstore().completeLogin(url)).rejects.toThrow(/answered 500: .*The login failed/);
    expect(await terminal.exited, output().slice(-1500)).toBe(1);
    // From the browser's redirect to the command's end: the exchange, then the build stopped.
    if (fault === 'refused' || fault.startsWith('blackhole')) expectEndedWithin({ durationMs: Date.now() - redirected }, 15, `token exchange ${fault}`);
    expectLoginFailure(output(), said, hint);
    // The held step was cancelled with the build, not left to finish.
    expect(await signals().holdOutcome(hold)).toBe('dropped');
    expect(await manifestState(registry(), `${registry().host}/${repository}:1`)).toBe('absent');
  });

  it('faults-sigstore OIDC token exchange HTTP 500 after the build: exit 1 naming the issuer, the image pushed, no signature', async () => {
    issuer().intercept(tokenEndpointAt(`${issuer().url}/token`));
    issuer().intercept(failAfter(TOKEN_EXCHANGE, 0, 500));
    const repository = 'faults/oidc-token/http-500-after-the-build';
    const { terminal, output, digest } = loginOnTerminal(repository, issuer().url);
    const url = (await terminal.waitFor(URL_LINE))[1] as string;
    // Logged in only once the command waits for it: the image is pushed by then.
    await terminal.waitFor(/waiting for the OIDC login in the browser/);
    await expect(sigstore().completeLogin(url)).rejects.toThrow(/answered 500: .*The login failed/);
    expect(await terminal.exited, output().slice(-1500)).toBe(1);
    expectLoginFailure(output(), /the OIDC issuer \S+ failed the login's token request \(HTTP 500\)/, /^hint: try again later, or pass --identity-token/m);
    await expectPushedUnsigned({ result: { stderr: output() }, repository, digest: digest() });
  });
});

/** One error sentence saying `said` and naming the issuer, `hint`, no stack trace. */
function expectLoginFailure(output: string, said: RegExp, hint: RegExp): void {
  const errors = output.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, output.slice(-1500)).toHaveLength(1);
  expect(errors[0]).toMatch(said);
  expect(errors[0]).toContain(issuer().url);
  expect(output).toMatch(hint);
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe('keyless build --push --sign in a GitHub Actions job, its OIDC token endpoint behind a fault', () => {
  // The job's token is asked for before the build (ACTIONS_ID_TOKEN_REQUEST_URL, as cosign asks it):
  // each failure ends the command before anything is built.
  let endpoint: GitHubTokenEndpoint | undefined;
  beforeAll(async () => {
    endpoint = await gitHubTokenEndpoint(async (audience) => ({ status: 200, body: { value: await sigstore().token({ audience: audience ?? '' }), count: 1 } }));
  });
  afterAll(() => endpoint?.close());
  const actions = useInterceptedService(() => (endpoint as GitHubTokenEndpoint).url);
  const TOKEN_REQUEST = /^GET \/token\?/;
  const viaActions = (origin: string): RunOptions => ({ identityEnv: { SIGSTORE_ID_TOKEN: '', ...(endpoint as GitHubTokenEndpoint).envThrough(origin) } });

  it.each([
    ['refused', undefined, /^error: cannot reach GitHub Actions' OIDC token endpoint http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\), asked 3 times$/, /^hint: run the job again, or pass a token with --identity-token/],
    ['reset', () => cutConnection(TOKEN_REQUEST), /^error: cannot reach GitHub Actions' OIDC token endpoint \S+ \(.+\), asked 3 times$/, /^hint: run the job again, or pass a token with --identity-token/],
    ['HTTP 500', () => failAfter(TOKEN_REQUEST, 0, 500), /^error: GitHub Actions' OIDC token endpoint \S+ failed \(HTTP 500\), asked 3 times$/, /^hint: run the job again later, or pass a token with --identity-token/],
    ['401', () => failAfter(TOKEN_REQUEST, 0, 401), /^error: GitHub Actions gave no OIDC token for the audience "sigstore" \(HTTP 401\)$/, /^hint: give the job `permissions: id-token: write`/],
    ['403', () => failAfter(TOKEN_REQUEST, 0, 403), /^error: GitHub Actions gave no OIDC token for the audience "sigstore" \(HTTP 403\)$/, /^hint: give the job `permissions: id-token: write`/],
    ['blackhole (--sign-timeout 2s)', () => neverAnswer(TOKEN_REQUEST), /^error: GitHub Actions' OIDC token endpoint \S+ did not answer within 2 s$/, /^hint: raise --sign-timeout, or pass a token with --identity-token/],
  ] as ReadonlyArray<[string, (() => Interception) | undefined, RegExp, RegExp]>)('faults-sigstore GitHub Actions token endpoint %s: exit 1 before the build, naming it; nothing pushed', async (fault, interception, said, hint) => {
    const origin = interception ? actions().url : await closedPort();
    if (interception) actions().intercept(interception());
    const repository = `faults/actions/${slugOf(fault)}`;
    const { result } = await buildPushSign(repository, {}, 'both', undefined, viaActions(origin));
    expectReported(result, 'GitHub Actions', said, hint);
    if (fault === 'refused' || fault.startsWith('blackhole')) expectEndedWithin(result, 15, `GitHub Actions ${fault}`);
    expect(result.stderr).not.toContain((endpoint as GitHubTokenEndpoint).bearer);
    expect(result.stderr).not.toMatch(/^#1 /m);
    expect(await manifestState(registry(), `${registry().host}/${repository}:1`)).toBe('absent');
  });

  it('faults-sigstore GitHub Actions token endpoint HTTP 503 twice: asked again, signed (cosign verifies)', async () => {
    const requests = failFirst(TOKEN_REQUEST, 2, 503);
    actions().intercept(requests);
    const { result, repository, digest } = await buildPushSign('faults/actions/503-twice', {}, 'both', undefined, viaActions(actions().url));
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(requests.seen()).toBe(3);
    await expectKeylessSigned(repository, digest);
  });
});

/** cosign v2 and v3 verify the keyless signature of REPOSITORY@DIGEST, made by the test identity. */
async function expectKeylessSigned(repository: string, digest: string | undefined): Promise<void> {
  expect(digest).toBeDefined();
  for (const binary of COSIGN_VERSIONS) {
    const context = { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
    expect(JSON.parse(await cosign(binary, context, ['verify', ...keylessVerifyFlags(sigstore()), `${registry().host}/${repository}@${digest}`]))).not.toHaveLength(0);
  }
}

describe('a slow service (5 s before each answer): signing waits it out within the default --sign-timeout', () => {
  it.each([
    ['Fulcio', () => fulcio().intercept(delayed(CERTIFICATE, 5_000))],
    ['Rekor', () => rekor().intercept(delayed(LOG_ENTRY, 5_000))],
  ] as const)('faults-sigstore %s latency 5 s: exit 0, signed (cosign verifies)', async (label, slow) => {
    slow();
    const { result, repository, digest } = await buildPushSign(`faults/${label.toLowerCase()}/latency`, {}, 'both', undefined, { signTimeout: null });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    await expectKeylessSigned(repository, digest);
  });

  it('faults-sigstore KMS latency 5 s: exit 0, signed (cosign verifies with the public key)', async () => {
    const key = await createKmsKey(kms(), 'faults-latency', kmsProxy().host);
    const calls = delayed(/^POST \//, 5_000);
    kmsProxy().intercept(calls);
    const { result, repository, digest } = await buildPushSign('faults/kms/latency', {}, 'both', key.uri, { signTimeout: null });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(calls.seen()).toBeGreaterThanOrEqual(2);
    for (const binary of COSIGN_VERSIONS) {
      const context = { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
      expect(await verifyWithKey(binary, context, `${registry().host}/${repository}@${digest}`, key.publicKey)).not.toHaveLength(0);
    }
  });

  it('faults-sigstore OIDC issuer latency 5 s (discovery and token exchange): exit 0, signed (cosign verifies)', async () => {
    issuer().intercept(tokenEndpointAt(`${issuer().url}/token`, 5_000));
    const exchange = delayed(TOKEN_EXCHANGE, 5_000);
    issuer().intercept(exchange);
    const repository = 'faults/oidc/latency';
    const { terminal, output, digest } = loginOnTerminal(repository, issuer().url, []);
    await sigstore().completeLogin((await terminal.waitFor(URL_LINE))[1] as string);
    expect(await terminal.exited, output().slice(-1500)).toBe(0);
    expect(exchange.seen()).toBe(1);
    await expectKeylessSigned(repository, digest());
  });
});

describe('kubectl trust verify with a Sigstore service at fault: only KMS is asked (for an awskms:// key), never Fulcio or Rekor', () => {
  // verify reads the key's public half from KMS before any registry read; Fulcio and Rekor are
  // never asked (certificates and log entries come with the signature, checked offline).
  const onGetPublicKey = (interception: Interception): Interception => ({
    match: /^POST \//,
    answer: (response, request, forward) =>
      request.headers['x-amz-target'] === 'TrentService.GetPublicKey' ? interception.answer(response, request, forward) : forward().then((answer) => reply(response, answer)),
  });
  let signed: { image: string; alias: string } | undefined;
  /** An image signed with a KMS key (through the KMS itself), once for the block. */
  async function signedImage(): Promise<{ image: string; alias: string }> {
    if (signed) return signed;
    const alias = 'faults-verify';
    const key = await createKmsKey(kms(), alias);
    const { result, repository, digest } = await buildPushSign('faults/verify/kms', {}, 'legacy', key.uri, { signTimeout: null });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    signed = { image: `${registry().host}/${repository}@${digest}`, alias };
    return signed;
  }
  const verify = (image: string, key: string, extra: string[] = []) =>
    runCli('kubectl-trust', ['verify', '--key', key, '--insecure-ignore-tlog', ...extra, image], { env: { DOCKER_CONFIG: registry().files.dockerConfigDir, ...KMS_ENV }, timeoutMs: 150_000 });

  it('faults-sigstore verify KMS refused: no verdict (exit 2), naming the key', async () => {
    const { image, alias } = await signedImage();
    const key = `awskms://127.0.0.1:${await freePort()}/alias/${alias}`;
    const result = await verify(image, key);
    expectReported(result, key, /^error: cannot reach KMS for /, /check the endpoint/, 2);
    expectEndedWithin(result, 15, 'verify, KMS refused');
  });

  it.each([
    ['HTTP 500', () => failAfter(/./, 0, 500), [], /^error: KMS failed on the key \S+ \(HTTP 500/, /try again later/],
    ['blackhole (--kms-timeout 2s)', () => neverAnswer(/./), ['--kms-timeout', '2s'], /^error: KMS did not answer within 2 s for /, /raise --kms-timeout/],
  ] as ReadonlyArray<[string, () => Interception, string[], RegExp, RegExp]>)('faults-sigstore verify KMS %s: no verdict (exit 2), naming the key', async (fault, interception, extra, said, hint) => {
    const { image, alias } = await signedImage();
    kmsProxy().intercept(onGetPublicKey(interception()));
    const key = `awskms://${kmsProxy().host}/alias/${alias}`;
    const result = await verify(image, key, extra);
    expectReported(result, key, said, hint, 2);
    if (fault.startsWith('blackhole')) expectEndedWithin(result, 25, `verify, KMS ${fault}`);
  });

  // trust export reads each KMS key's public half to write it into the engine's policy: the same
  // bound, its own flag (--kms-timeout on export is new; before, no cell ran it).
  it('faults-sigstore export KMS blackhole (--kms-timeout 2s): nothing exported (exit 2), the key named', async () => {
    const { alias } = await signedImage();
    kmsProxy().intercept(onGetPublicKey(neverAnswer(/./)));
    const key = `awskms://${kmsProxy().host}/alias/${alias}`;
    const policy = join(scratchDir('faults-export'), 'policy.yaml');
    writeFileSync(policy, `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
signers:
  - { name: kms, key: ${key} }
rules:
  - name: all
    images: ["${registry().host}/**"]
    require: { all: [kms] }
`);
    const result = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'policy-controller', '--name', 'faults-export', '--kms-timeout', '2s'], { env: KMS_ENV, timeoutMs: 60_000 });
    expectReported(result, key, /^error: KMS did not answer within 2 s for /, /raise --kms-timeout/, 2);
    expect(result.stdout).toBe('');
    expectEndedWithin(result, 25, 'export, KMS blackhole');
  });

  it('faults-sigstore verify keyless with Fulcio and Rekor (as the trusted root names them) not answering: the verdict is reached (pass), neither asked', async () => {
    const { result, repository, digest } = await buildPushSign('faults/verify/keyless', {}, 'both', undefined, { signTimeout: null });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    // The trusted root, its log and CA addresses pointed at the forwarders, which now never answer.
    const root = JSON.parse(readFileSync(sigstore().trustedRootPath, 'utf8')) as { tlogs?: Array<{ baseUrl: string }>; certificateAuthorities?: Array<{ uri: string }> };
    for (const log of root.tlogs ?? []) log.baseUrl = rekor().url;
    for (const authority of root.certificateAuthorities ?? []) authority.uri = fulcio().url;
    const rootPath = join(scratchDir('faults-verify-root'), 'trusted_root.json');
    writeFileSync(rootPath, JSON.stringify(root));
    fulcio().intercept(neverAnswer(/./));
    rekor().intercept(neverAnswer(/./));
    const asked = [fulcio().requests.length, rekor().requests.length];
    const flags = keylessVerifyFlags(sigstore()).map((flag) => (flag === sigstore().trustedRootPath ? rootPath : flag));
    const verified = await runCli('kubectl-trust', ['verify', ...flags.filter((flag) => flag !== '--insecure-ignore-sct'), `${registry().host}/${repository}@${digest}`], {
      env: { DOCKER_CONFIG: registry().files.dockerConfigDir },
      timeoutMs: 150_000,
    });
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect([fulcio().requests.length, rekor().requests.length]).toEqual(asked);
  });

  it('faults-sigstore verify KMS latency 5 s: the verdict is reached (pass)', async () => {
    const { image, alias } = await signedImage();
    kmsProxy().intercept(delayed(/^POST \//, 5_000));
    const result = await verify(image, `awskms://${kmsProxy().host}/alias/${alias}`);
    expect(result.status, result.stdout + result.stderr).toBe(0);
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
    const started = Date.now();
    const terminal = onTerminal(['--progress', 'plain', '-t', tag, '--push', '--sign', ...sigstoreFlags(sigstore()), '--oidc-issuer', url, '--sign-timeout', '2s', dir], {
      BUILDKIT_HOST: buildkitd().address,
      DOCKER_CONFIG: registry().files.dockerConfigDir,
      COSIGN_EXPERIMENTAL: '1',
      KUBECTL_BUILD_BROWSER: 'none',
      SIGSTORE_ID_TOKEN: '',
    });
    expect(await terminal.exited, terminal.state.output.slice(-1500)).toBe(1);
    // script(1)'s own start included.
    if (fault === 'refused' || fault.startsWith('blackhole')) expectEndedWithin({ durationMs: Date.now() - started }, 15, `OIDC discovery ${fault}`);
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
