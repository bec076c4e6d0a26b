// Keyless signing (and key signing with the transparency log) against local Sigstore services:
// an OIDC issuer, Fulcio and Rekor on loopback; the real cosign v2 and v3 are the judges. The
// browser login runs on a real terminal (script(1)); the issuer's test helper plays the browser.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../hack/lib/net.ts';
import { createCertificateAuthority, createServerCertificate } from '../hack/lib/tls.ts';
import { runCli, type CliResult } from './harness/cli.ts';
import { COSIGN_VERSIONS, cosign, generateKeyPair, offlineTrustedRoot, type CosignBinary, type CosignContext } from './harness/cosign.ts';
import { failAfter, startForwarder } from './harness/http-forwarder.ts';
import { clientFilesFor, scratchDir, useBuildkitd, useRegistry } from './harness/index.ts';
import { digestTag, readManifest } from './harness/registry-state.ts';
import { keylessVerifyFlags, sigstoreFlags as localSigstoreFlags, useSigstore } from './harness/sigstore.ts';
import { onTerminal } from './harness/terminal.ts';

const registry = useRegistry({ kind: 'distribution', auth: true, seed: true });
const buildkitd = useBuildkitd({ trust: [registry] });
const sigstore = useSigstore();

function dockerConfig(): string {
  return clientFilesFor([registry()]).dockerConfigDir;
}

function context(dockerfileTail = ''): string {
  const dir = scratchDir('keyless-context');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo keyless-${Math.random()} > /marker\n${dockerfileTail}`);
  return dir;
}

function sigstoreFlags(): string[] {
  return localSigstoreFlags(sigstore());
}

function cosignContext(config: string): CosignContext {
  return { dir: scratchDir('cosign'), dockerConfigDir: config };
}

async function verifyKeyless(binary: CosignBinary, config: string, image: string): Promise<unknown[]> {
  const stdout = await cosign(binary, cosignContext(config), ['verify', ...keylessVerifyFlags(sigstore()), image]);
  return JSON.parse(stdout) as unknown[];
}

interface Signed {
  readonly result: CliResult;
  readonly tag: string;
  readonly config: string;
  /** REGISTRY/REPO@DIGEST when the build pushed. */
  readonly image?: string;
}

async function buildAndSign(repository: string, args: string[], env: NodeJS.ProcessEnv = {}, dockerfileTail = ''): Promise<Signed> {
  const config = dockerConfig();
  const dir = context(dockerfileTail);
  const tag = `${registry().host}/${repository}:1`;
  const metadataFile = join(dir, 'metadata.json');
  const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', tag, '--push', '--sign', '--metadata-file', metadataFile, ...args, dir], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: config, SIGSTORE_ID_TOKEN: undefined, COSIGN_EXPERIMENTAL: undefined, ...env },
  });
  return { result, tag, config, ...imageOf(repository, result.stderr) };
}

function imageOf(repository: string, output: string): { image?: string } {
  const digest = /pushed \S+(?:, \S+)* as (sha256:[0-9a-f]{64})/.exec(output)?.[1];
  return digest ? { image: `${registry().host}/${repository}@${digest}` } : {};
}

/** Neither layout holds a signature for the image (nothing half-written), and the image stays. */
async function expectNoSignature(image: string): Promise<void> {
  const [repository, digest] = image.slice(registry().host.length + 1).split('@') as [string, string];
  expect((await readManifest(registry(), repository, digest))?.digest).toBe(digest);
  expect(await readManifest(registry(), repository, `${digestTag(digest)}.sig`)).toBeUndefined();
  expect(await readManifest(registry(), repository, digestTag(digest))).toBeUndefined();
}

describe.each(['legacy', 'bundle'] as const)('keyless signing with an identity token, %s format', (format) => {
  it('signs with a Fulcio certificate and a Rekor entry; cosign v2 and v3 verify identity and issuer', async () => {
    const token = await sigstore().token();
    const signed = await buildAndSign(`keyless/${format}`, ['--debug', '--signature-format', format, ...sigstoreFlags()], { SIGSTORE_ID_TOKEN: token });
    expect(signed.result.status, signed.result.stderr.slice(-1500)).toBe(0);
    expect(signed.result.stderr).toMatch(new RegExp(`sign: got a certificate from Fulcio \\(${sigstore().fulcioUrl}\\) for ${sigstore().identity.replace(/[.+]/g, '\\$&')}`));
    expect(signed.result.stderr).toMatch(/sign: recorded the (signature|bundle) in the transparency log http:\/\/127\.0\.0\.1:\d+ as entry \d+ \(\d+\.\ds\)/);
    expect(`${signed.result.stdout}${signed.result.stderr}`).not.toContain(token);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyKeyless(binary, signed.config, signed.image as string)).not.toHaveLength(0);
    }
  });
});

describe('key signing with the transparency log (cosign\'s default)', () => {
  it('records legacy and bundle signatures in Rekor; cosign v2 and v3 verify without --insecure-ignore-tlog', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'logged');
    const signed = await buildAndSign('keyed/logged', ['--signature-format', 'both', '--cosign-key', keys.privateKey, '--rekor-url', sigstore().rekorUrl], { COSIGN_PASSWORD: keys.password });
    expect(signed.result.status, signed.result.stderr.slice(-1500)).toBe(0);
    expect(signed.result.stderr.match(/sign: recorded the (signature|bundle) in the transparency log \S+ as entry \d+/g)).toHaveLength(2);
    for (const binary of COSIGN_VERSIONS) {
      const stdout = await cosign(binary, cosignContext(signed.config), ['verify', '--key', keys.publicKey, '--trusted-root', sigstore().trustedRootPath, signed.image as string]);
      expect(JSON.parse(stdout)).not.toHaveLength(0);
    }
  });

  it('Rekor down: a clear error after the push, non-zero exit, no signature stored', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'unlogged');
    const rekor = `http://127.0.0.1:${await freePort()}`;
    const signed = await buildAndSign('keyed/rekor-down', ['--cosign-key', keys.privateKey, '--rekor-url', rekor], { COSIGN_PASSWORD: keys.password });
    expect(signed.result.status).toBe(1);
    expect(signed.result.stderr).toMatch(new RegExp(`error: \\S+@sha256:[0-9a-f]{64} was pushed, but its signature could not be made: cannot reach the transparency log at ${rekor} \\(ECONNREFUSED\\)\\n`));
    expect(signed.result.stderr).toMatch(/hint: check --rekor-url and the network; .*--tlog-upload=false\n$/);
    await expectNoSignature(signed.image as string);
  });
});

describe('a transparency log that fails on its second entry', () => {
  // Two repositories: one signature each per layout, so the entry the log accepts belongs to a
  // signature that could be stored on its own; none is, because every entry is made before any store.
  it.each(['legacy', 'bundle', 'both'] as const)('keyless, %s layout, two repositories: one certificate, the run fails naming the log, no signature stored', async (format) => {
    const fulcio = await startForwarder(sigstore().fulcioUrl);
    const rekorFailure = failAfter(/^POST \/api\/v1\/log\/entries/, 1, 500);
    const rekor = await startForwarder(sigstore().rekorUrl, () => [rekorFailure]);
    onTestFinished(async () => {
      await Promise.all([fulcio.close(), rekor.close()]);
    });
    const repositories = [`keyless/second-${format}-a`, `keyless/second-${format}-b`];
    const flags = ['--signature-format', format, ...sigstoreFlags(), '--fulcio-url', fulcio.url, '--rekor-url', rekor.url, '-t', `${registry().host}/${repositories[1]}:1`];
    const signed = await buildAndSign(repositories[0] as string, flags, { SIGSTORE_ID_TOKEN: await sigstore().token() });
    expect(signed.result.status, signed.result.stderr.slice(-1500)).toBe(1);
    expect(signed.result.stderr).toMatch(
      new RegExp(`\\nerror: \\S+@sha256:[0-9a-f]{64} was pushed, but its signature could not be made: the transparency log at ${rekor.url} failed on the signature \\(HTTP 500\\)\\nhint: [^\\n]+\\n$`),
    );
    // The first entry was made (it stays: a log is append-only, and no signature points to it); the rest refused.
    expect(rekorFailure.forwarded).toEqual([201]);
    expect(rekorFailure.seen()).toBeGreaterThanOrEqual(2);
    // One certificate serves every signature of a run: there is no second request for Fulcio to fail.
    expect(fulcio.requests.filter((line) => line.startsWith('POST '))).toEqual(['POST /api/v2/signingCert']);
    const digest = (signed.image as string).split('@')[1] as string;
    for (const repository of repositories) await expectNoSignature(`${registry().host}/${repository}@${digest}`);
  });
});

describe('a private Sigstore over HTTPS with a CA of its own', () => {
  it('is reached with NODE_EXTRA_CA_CERTS; without it, one sentence naming Fulcio and nothing stored', async () => {
    const dir = scratchDir('private-ca');
    const ca = createCertificateAuthority(dir);
    const certificate = createServerCertificate(ca, dir);
    const fulcio = await startForwarder(sigstore().fulcioUrl, undefined, certificate);
    const rekor = await startForwarder(sigstore().rekorUrl, undefined, certificate);
    onTestFinished(async () => {
      await Promise.all([fulcio.close(), rekor.close()]);
    });
    const flags = ['--signature-format', 'both', ...sigstoreFlags(), '--fulcio-url', fulcio.url, '--rekor-url', rekor.url];
    const token = await sigstore().token();

    const untrusted = await buildAndSign('keyless/private-ca-untrusted', flags, { SIGSTORE_ID_TOKEN: token, NODE_EXTRA_CA_CERTS: undefined });
    expect(untrusted.result.status).toBe(1);
    expect(untrusted.result.stderr).toMatch(
      new RegExp(`\\nerror: Fulcio at ${fulcio.url} answered with a certificate this machine does not trust \\([A-Z_]+\\)\\nhint: [^\\n]*NODE_EXTRA_CA_CERTS[^\\n]*\\n$`),
    );
    await expectNoSignature(untrusted.image as string);

    const trusted = await buildAndSign('keyless/private-ca', flags, { SIGSTORE_ID_TOKEN: token, NODE_EXTRA_CA_CERTS: ca.certFile });
    expect(trusted.result.status, trusted.result.stderr.slice(-1500)).toBe(0);
    // Both services were reached through HTTPS: one certificate, one log entry per layout.
    expect(fulcio.requests.filter((line) => line.startsWith('POST '))).toHaveLength(1);
    expect(rekor.requests.filter((line) => line.startsWith('POST '))).toHaveLength(2);
    for (const binary of COSIGN_VERSIONS) expect(await verifyKeyless(binary, trusted.config, trusted.image as string)).not.toHaveLength(0);
  });
});

describe('keyless signing failures', () => {
  it('without a terminal and without a token: a usage error before the build', async () => {
    const { result } = await buildAndSign('keyless/no-tty', sigstoreFlags(), { COSIGN_EXPERIMENTAL: '1' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'error: keyless signing needs an identity token, and there is no terminal to log in from\n' +
        "hint: pass --identity-token (or SIGSTORE_ID_TOKEN) from your CI's OIDC provider (in GitHub Actions, give the job permissions: id-token: write), or sign with --cosign-key\n",
    );
  });

  it('without a key, a token or COSIGN_EXPERIMENTAL: says how to choose', async () => {
    const { result } = await buildAndSign('keyless/none', sigstoreFlags());
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: --sign needs a key, or an identity for keyless signing\nhint: pass --cosign-key/);
  });

  it('an expired token and a token for another audience: refused before the build, the token never printed', async () => {
    const expired = await sigstore().token({ expiresInSeconds: 1 });
    await sleep(2_000);
    const late = await buildAndSign('keyless/expired', ['--debug', ...sigstoreFlags()], { SIGSTORE_ID_TOKEN: expired });
    expect(late.result.status).toBe(1);
    expect(late.result.stderr).toMatch(/^error: the identity token from SIGSTORE_ID_TOKEN expired \d+(ms|s) ago\n/);
    expect(late.result.stderr).not.toContain('#1 ');
    for (const part of expired.split('.')) expect(`${late.result.stdout}${late.result.stderr}`).not.toContain(part);

    const other = await sigstore().token({ audience: 'not-sigstore' });
    const tokenFile = join(scratchDir('token'), 'token');
    writeFileSync(tokenFile, other);
    const wrong = await buildAndSign('keyless/audience', ['--identity-token', tokenFile, ...sigstoreFlags()]);
    expect(wrong.result.status).toBe(1);
    expect(wrong.result.stderr).toMatch(/^error: the identity token from --identity-token is for the audience "not-sigstore", not "sigstore"\n/);
    for (const part of other.split('.')) expect(`${wrong.result.stdout}${wrong.result.stderr}`).not.toContain(part);
  });

  it('Fulcio down: a clear error after the push, no signature stored, the token absent even with --debug', async () => {
    const token = await sigstore().token();
    const fulcio = `http://127.0.0.1:${await freePort()}`;
    const flags = [...sigstoreFlags(), '--fulcio-url', fulcio, '--debug'];
    const signed = await buildAndSign('keyless/fulcio-down', flags, { SIGSTORE_ID_TOKEN: token });
    expect(signed.result.status).toBe(1);
    expect(signed.result.stderr).toContain(`error: cannot reach Fulcio at ${fulcio} (ECONNREFUSED)\nhint: check --fulcio-url and the network\n`);
    const output = `${signed.result.stdout}${signed.result.stderr}`;
    for (const part of token.split('.')) expect(output).not.toContain(part);
    await expectNoSignature(signed.image as string);
  });

  it('Rekor down: keyless fails before storing anything', async () => {
    const token = await sigstore().token();
    const rekor = `http://127.0.0.1:${await freePort()}`;
    const signed = await buildAndSign('keyless/rekor-down', ['--signature-format', 'both', ...sigstoreFlags(), '--rekor-url', rekor], { SIGSTORE_ID_TOKEN: token });
    expect(signed.result.status).toBe(1);
    expect(signed.result.stderr).toMatch(/could not be made: cannot reach the transparency log at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    await expectNoSignature(signed.image as string);
  });

  it('--tlog-upload=false is refused for keyless signing', async () => {
    const { result } = await buildAndSign('keyless/no-log', ['--tlog-upload=false', ...sigstoreFlags()], { SIGSTORE_ID_TOKEN: await sigstore().token() });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: keyless signing needs the transparency log/);
  });
});

describe('keyless signing with the browser login, on a terminal', () => {
  const URL_LINE = /\n {2}(http\S+)\r?\n/;

  function start(repository: string, extra: string[], dockerfileTail = '', env: NodeJS.ProcessEnv = {}) {
    const config = dockerConfig();
    const dir = context(dockerfileTail);
    const tag = `${registry().host}/${repository}:1`;
    const terminal = onTerminal(['--progress', 'plain', '-t', tag, '--push', '--sign', '--signature-format', 'both', ...sigstoreFlags(), ...extra, dir], {
      BUILDKIT_HOST: buildkitd().address,
      DOCKER_CONFIG: config,
      COSIGN_EXPERIMENTAL: '1',
      KUBECTL_BUILD_BROWSER: 'none',
      SIGSTORE_ID_TOKEN: '',
      ...env,
    });
    return { terminal, config, repository };
  }

  it('KUBECTL_BUILD_BROWSER names the browser: it is started with the address printed, and that address logs in', async () => {
    const dir = scratchDir('browser');
    const opened = join(dir, 'opened');
    const browser = join(dir, 'browser');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}'\n`, { mode: 0o755 });
    const { terminal, config, repository } = start('keyless/own-browser', [], '', { KUBECTL_BUILD_BROWSER: browser });
    const url = (await terminal.waitFor(URL_LINE))[1] as string;
    expect(terminal.state.output).toContain('opening it in your browser');
    await waitUntil(() => existsSync(opened) && readFileSync(opened, 'utf8').length > 0);
    expect(readFileSync(opened, 'utf8')).toBe(`${url}\n`);
    await sigstore().completeLogin(readFileSync(opened, 'utf8').trim());
    expect(await terminal.exited, terminal.state.output.slice(-1500)).toBe(0);
    const image = imageOf(repository, terminal.state.output).image as string;
    expect(await verifyKeyless('cosign-v3', config, image)).not.toHaveLength(0);
  });

  it('logs in while the build runs; signing does not wait; cosign v2 and v3 verify', async () => {
    const { terminal, config, repository } = start('keyless/login-during-build', [], 'RUN sleep 4\n');
    const url = (await terminal.waitFor(URL_LINE))[1] as string;
    // The login completes while the build is still running.
    await sigstore().completeLogin(url);
    expect(terminal.state.output).not.toMatch(/pushed \S+ as sha256:/);
    expect(await terminal.exited, terminal.state.output.slice(-1500)).toBe(0);
    expect(terminal.state.output).toMatch(/sign: logged in as \S+ in the browser \d+(ms|s) after the start, during the build/);
    expect(terminal.state.output).not.toContain('waiting for the OIDC login');
    // The token from the login is nowhere in what the terminal showed (no JWT at all).
    expect(terminal.state.output).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}\./);
    const image = imageOf(repository, terminal.state.output).image as string;
    for (const binary of COSIGN_VERSIONS) expect(await verifyKeyless(binary, config, image)).not.toHaveLength(0);
  });

  it('the build ends first: it says it waits for the login, then signs when the login arrives', async () => {
    const { terminal, config, repository } = start('keyless/login-after-build', []);
    const url = (await terminal.waitFor(URL_LINE))[1] as string;
    await terminal.waitFor(/sign: waiting for the OIDC login in the browser \(up to 5m0s; Ctrl-C cancels\)/);
    await sleep(1_000);
    await sigstore().completeLogin(url);
    expect(await terminal.exited, terminal.state.output.slice(-1500)).toBe(0);
    expect(terminal.state.output).toMatch(/sign: logged in as \S+ \(waited \d+(ms|s) after the build\)/);
    expect(terminal.state.output).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}\./);
    const image = imageOf(repository, terminal.state.output).image as string;
    for (const binary of COSIGN_VERSIONS) expect(await verifyKeyless(binary, config, image)).not.toHaveLength(0);
  });

  it('no login within --login-timeout: an error that points to --identity-token, nothing signed', async () => {
    const { terminal, repository } = start('keyless/login-timeout', ['--login-timeout', '2s']);
    expect(await terminal.exited).toBe(1);
    expect(terminal.state.output).toMatch(/error: the OIDC login did not finish within 2s after the build\r?\nhint: .*--identity-token/);
    await expectNoSignature(imageOf(repository, terminal.state.output).image as string);
  });

  it('Ctrl-C while waiting for the login: exit 130, nothing signed', async () => {
    const { terminal, repository } = start('keyless/login-cancel', []);
    await terminal.waitFor(/sign: waiting for the OIDC login/);
    terminal.type('\x03');
    expect(await terminal.exited).toBe(130);
    expect(terminal.state.output).toMatch(/error: the OIDC login was cancelled/);
    await expectNoSignature(imageOf(repository, terminal.state.output).image as string);
  });
});

describe('an encrypted key without COSIGN_PASSWORD, on a terminal', () => {
  it('asks for the password without echoing it, before the build, and signs', async () => {
    const config = dockerConfig();
    const keys = await generateKeyPair(cosignContext(config), 'prompted');
    const repository = 'keyed/prompted';
    const terminal = onTerminal(
      ['--progress', 'plain', '-t', `${registry().host}/${repository}:1`, '--push', '--sign', '--tlog-upload=false', '--cosign-key', keys.privateKey, context()],
      { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: config, COSIGN_PASSWORD: undefined },
    );
    await terminal.waitFor(/Enter password for private key: /);
    // Asked before anything is built.
    expect(terminal.state.output).not.toMatch(/#1 /);
    terminal.type(`${keys.password}\r`);
    expect(await terminal.exited, terminal.state.output.slice(-1500)).toBe(0);
    expect(terminal.state.output).not.toContain(keys.password);
    const image = imageOf(repository, terminal.state.output).image as string;
    const stdout = await cosign('cosign-v3', cosignContext(config), ['verify', '--key', keys.publicKey, '--insecure-ignore-tlog=true', '--trusted-root', offlineTrustedRoot(cosignContext(config)), image]);
    expect(JSON.parse(stdout)).toHaveLength(1);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${condition.toString()}`);
    await sleep(50);
  }
}
