// Keyless identity on the command line: when the login may start, how the wait at sign time ends
// (token, timeout, cancel), and what reaches the user. Fulcio is unreachable here on purpose: the
// real one is in integration/keyless.test.ts.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubectlBuildError } from '../pkg/errors/index.ts';
import { browse, fakeJwt, startTestIssuer, type TestIssuer } from '../pkg/oidc/test-issuer.ts';
import { prepareKeyless, type KeylessSettings } from './keyless.ts';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());

function settings(overrides: Partial<KeylessSettings> = {}) {
  const printed: string[] = [];
  const value: KeylessSettings = {
    fulcioUrl: 'http://127.0.0.1:1',
    issuer: issuer.url,
    clientId: 'sigstore',
    loginTimeoutMs: 5_000,
    interactive: true,
    browser: 'none',
    stderr: { write: (text: string) => printed.push(text) },
    signal: new AbortController().signal,
    ...overrides,
  };
  return { value, printed };
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as KubectlBuildError);

describe('prepareKeyless', () => {
  it('without a terminal and without a token: a usage error at once', async () => {
    const error = await failure(prepareKeyless(settings({ interactive: false }).value));
    expect(error?.code).toBe('USAGE');
    expect(error?.message).toBe('keyless signing needs an identity token, and there is no terminal to log in from');
  });

  it('checks a given token before the build, and never quotes it', async () => {
    const token = fakeJwt({ iss: 'https://i', aud: 'sigstore', sub: 's', exp: Math.floor(Date.now() / 1000) - 10 });
    const error = await failure(prepareKeyless(settings({ givenToken: { value: token, source: '--identity-token' } }).value));
    expect(error?.message).toMatch(/^the identity token from --identity-token expired \d+s ago$/);
    const garbage = await failure(prepareKeyless(settings({ givenToken: { value: 'secret-value', source: 'SIGSTORE_ID_TOKEN' } }).value));
    expect(garbage?.message).toBe('the value of SIGSTORE_ID_TOKEN is neither an OIDC ID token nor a file that exists');
  });

  it('prints the address, and at sign time waits for the login, then asks Fulcio', async () => {
    const { value, printed } = settings();
    const keyless = await prepareKeyless(value);
    const url = /\n {2}(http\S+)\n/.exec(printed.join(''))?.[1] as string;
    expect(url).toContain(`${issuer.url}/authorize?`);
    const steps: string[] = [];
    const signing = failure(keyless.credential((step) => steps.push(step)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(printed.join('')).toContain('sign: waiting for the OIDC login in the browser (up to 5s; Ctrl-C cancels)');
    await browse(url);
    const error = await signing;
    expect(steps[0]).toMatch(/^logged in as dev@example\.com \(waited \d+(ms|s) after the build\)$/);
    expect(error?.message).toMatch(/^cannot reach Fulcio at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)$/);
    keyless.close();
  });

  it('a login refused during the build: the reason at sign time, without waiting', async () => {
    const { value, printed } = settings();
    const keyless = await prepareKeyless(value);
    issuer.mode = 'deny';
    await browse(/\n {2}(http\S+)\n/.exec(printed.join(''))?.[1] as string);
    issuer.mode = 'code';
    const error = await failure(keyless.credential(() => undefined));
    expect(error?.message).toBe('the OIDC issuer refused the login (access_denied: the user said no)');
    expect(printed.join('')).not.toContain('waiting for the OIDC login');
  });

  it('gives up after --login-timeout with a pointer to --identity-token', async () => {
    const keyless = await prepareKeyless(settings({ loginTimeoutMs: 200 }).value);
    const error = await failure(keyless.credential(() => undefined));
    expect(error?.message).toBe('the OIDC login did not finish within 200ms after the build');
    expect(error?.hint).toContain('--identity-token');
    keyless.close();
  });

  it('Ctrl-C while waiting: CANCELLED', async () => {
    const abort = new AbortController();
    const keyless = await prepareKeyless(settings({ signal: abort.signal }).value);
    setTimeout(() => abort.abort(), 50);
    expect((await failure(keyless.credential(() => undefined)))?.code).toBe('CANCELLED');
  });

  it('asks Fulcio once the build is under way (certifyAfter), or at sign time if it never was', async () => {
    // A Fulcio that counts the connections it gets and drops them.
    let connections = 0;
    const fulcio = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => fulcio.listen(0, '127.0.0.1', resolve));
    const fulcioUrl = `http://127.0.0.1:${(fulcio.address() as { port: number }).port}`;
    const token = fakeJwt({ iss: issuer.url, aud: 'sigstore', sub: 's', email: 'dev@example.com', email_verified: true, exp: Math.floor(Date.now() / 1000) + 600 });
    const givenToken = { value: token, source: 'SIGSTORE_ID_TOKEN' };
    try {
      let solveSent = (): void => undefined;
      const certifyAfter = new Promise<void>((resolve) => (solveSent = resolve));
      const deferred = await prepareKeyless(settings({ fulcioUrl, givenToken, certifyAfter, requestTimeoutMs: 1_000 }).value);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(connections).toBe(0);
      solveSent();
      await expect.poll(() => connections).toBeGreaterThan(0);

      // The build failed before its Solve: nothing asked, until sign time would ask.
      connections = 0;
      const never = await prepareKeyless(settings({ fulcioUrl, givenToken, certifyAfter: new Promise(() => undefined), requestTimeoutMs: 1_000 }).value);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(connections).toBe(0);
      expect((await failure(never.credential(() => undefined)))?.message).toMatch(/Fulcio at http:\/\/127\.0\.0\.1:\d+/);
      expect(connections).toBeGreaterThan(0);
      deferred.close();
    } finally {
      fulcio.close();
    }
  });
});
