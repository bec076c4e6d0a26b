// Keyless signing's identity, as the command line gets it: a token given (--identity-token, a
// file holding one, or SIGSTORE_ID_TOKEN) is checked before the build; without one, on a terminal,
// the browser login starts before the build and runs alongside it. The token is only awaited at
// sign time, with --login-timeout, and Fulcio's certificate is asked for as soon as the token is
// there and the build's Solve sent (during the build, usually), so little is left to do once the
// image is pushed.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import { checkToken, formatDuration, GITHUB_ACTIONS_SOURCE, gitHubActionsToken, startLogin, type PendingLogin, type TokenClaims } from '../pkg/oidc/index.ts';
import { requestCertificate, type Credential, type SigningCertificate } from '../pkg/sign/index.ts';

/** A token given to the command (or a file holding one), and where it came from, for messages. */
export interface GivenToken {
  readonly value: string;
  readonly source: string;
}

export interface KeylessSettings {
  /** What givenIdentityToken found. */
  readonly givenToken?: GivenToken;
  readonly fulcioUrl: string;
  /** --sign-timeout: each request to Fulcio and the OIDC issuer. */
  readonly requestTimeoutMs?: number;
  readonly issuer: string;
  readonly clientId: string;
  readonly loginTimeoutMs: number;
  /** A person is at a terminal (stdin and stderr are TTYs): a browser login may be asked of them. */
  readonly interactive: boolean;
  /** KUBECTL_BUILD_BROWSER: "none" prints the address only; a program name opens it with that. */
  readonly browser?: string;
  readonly stderr: { write(text: string): unknown };
  readonly signal: AbortSignal;
  /**
   * When to ask Fulcio (once the token is there too): the build's Solve sent, so that loading
   * Fulcio's client (~70 ms of the main thread) runs while the daemon builds, not before the Solve.
   * Without it, at once; at sign time in any case.
   */
  readonly certifyAfter?: Promise<unknown>;
}

export type Report = (step: string, durationMs: number) => void;

export interface KeylessIdentity {
  /** Rejects as soon as the browser login fails (refused, an unusable token), during the build too. */
  readonly failed: Promise<never>;
  /** At sign time: waits for the login if need be, then the key and its certificate. */
  credential(report: Report): Promise<Credential>;
  /** Stops the login listener (when the build failed or signing is over). */
  close(): void;
}

interface Identity {
  readonly token: string;
  readonly claims: TokenClaims;
  readonly afterMs: number;
}

// A certificate with less time left than this is not used to sign: the log must see it valid.
const CERTIFICATE_MARGIN_MS = 60_000;

export async function prepareKeyless(settings: KeylessSettings): Promise<KeylessIdentity> {
  const started = Date.now();
  let login: PendingLogin | undefined;
  let tokenPromise: Promise<Identity>;
  if (settings.givenToken) {
    const { source } = settings.givenToken;
    const token = await readGivenToken(settings.givenToken.value, source);
    tokenPromise = Promise.resolve({ token, claims: checkToken(token, { audience: settings.clientId, source }), afterMs: 0 });
  } else {
    if (!settings.interactive) {
      throw new KubectlBuildError('USAGE', 'keyless signing needs an identity token, and there is no terminal to log in from', {
        hint: 'pass --identity-token (or SIGSTORE_ID_TOKEN) from your CI\'s OIDC provider (in GitHub Actions, give the job permissions: id-token: write), or sign with --cosign-key',
      });
    }
    login = await startLogin({
      issuer: settings.issuer,
      clientId: settings.clientId,
      signal: settings.signal,
      ...(settings.requestTimeoutMs ? { requestTimeoutMs: settings.requestTimeoutMs } : {}),
    });
    announce(login.authorizationUrl, settings);
    tokenPromise = login.token.then((token) => ({
      token,
      claims: checkToken(token, { audience: settings.clientId, source: 'the OIDC login' }),
      afterMs: Date.now() - started,
    }));
  }
  let arrived: Identity | undefined;
  let refused: unknown;
  tokenPromise.catch((error: unknown) => (refused = error));
  const certify = (identity: Identity) =>
    requestCertificate({
      fulcioUrl: settings.fulcioUrl,
      token: identity.token,
      identity: identity.claims.identity,
      ...(settings.requestTimeoutMs ? { timeoutMs: settings.requestTimeoutMs } : {}),
    });
  // The certificate is asked for as soon as the identity is known and the build under way; its
  // failure is kept for sign time.
  let early: Promise<SigningCertificate> | undefined;
  const startEarly = () => {
    early ??= tokenPromise.then(certify);
    early.catch(() => undefined);
    return early;
  };
  tokenPromise.then((identity) => (arrived = identity), () => undefined);
  // (Not startEarly's promise: its failure is for sign time, never an unhandled rejection here.)
  if (settings.certifyAfter) void settings.certifyAfter.then(() => void startEarly(), () => undefined);
  else startEarly();

  // Never settles once the login succeeded; awaited by the build only, so not always listened to.
  const failed = tokenPromise.then(() => new Promise<never>(() => {}));
  failed.catch(() => undefined);

  return {
    failed,
    close: () => login?.close(),
    credential: async (report) => {
      let identity = arrived;
      // The login already failed (refused, a token for another audience): say so, do not wait.
      if (refused !== undefined) throw refused;
      if (!identity) {
        const waitStarted = Date.now();
        settings.stderr.write(`sign: waiting for the OIDC login in the browser (up to ${formatDuration(settings.loginTimeoutMs)}; Ctrl-C cancels)\n`);
        identity = await waitForLogin(tokenPromise, settings);
        report(`logged in as ${identity.claims.identity} (waited ${formatDuration(Date.now() - waitStarted)} after the build)`, Date.now() - waitStarted);
      } else {
        const how = settings.givenToken ? `with the token from ${settings.givenToken.source}` : `in the browser ${formatDuration(identity.afterMs)} after the start, during the build`;
        report(`logged in as ${identity.claims.identity} ${how}`, 0);
      }
      const certificateStarted = Date.now();
      let certificate = await startEarly().catch(() => undefined);
      const fresh = (candidate?: SigningCertificate) => candidate && candidate.notAfterMs - Date.now() > CERTIFICATE_MARGIN_MS;
      if (!fresh(certificate)) {
        // The early request failed (Fulcio briefly away?) or its certificate is about to expire:
        // one more request, with the token if it is still valid.
        checkToken(identity.token, { audience: settings.clientId, source: settings.givenToken?.source ?? 'the OIDC login' });
        certificate = await certify(identity);
      }
      const got = certificate as SigningCertificate;
      report(`got a certificate from Fulcio (${settings.fulcioUrl}) for ${got.identity}, valid until ${new Date(got.notAfterMs).toISOString()}`, Date.now() - certificateStarted);
      login?.close();
      return { signer: got.signer, certificate: got };
    },
  };
}

/**
 * The identity token the command is given, where cosign looks for one: --identity-token, else
 * SIGSTORE_ID_TOKEN (what GitLab's `id_tokens` sets, or any CI), else, in a GitHub Actions job
 * allowed `id-token: write`, a token for `audience` from GitHub's endpoint, each request bounded by
 * `timeoutMs` (--sign-timeout). Undefined: none.
 */
export async function givenIdentityToken(flag: string | undefined, env: NodeJS.ProcessEnv, audience: string, signal: AbortSignal, timeoutMs?: number): Promise<GivenToken | undefined> {
  if (flag !== undefined) return { value: flag, source: '--identity-token' };
  if (env.SIGSTORE_ID_TOKEN) return { value: env.SIGSTORE_ID_TOKEN, source: 'SIGSTORE_ID_TOKEN' };
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) return undefined;
  return { value: await gitHubActionsToken({ requestUrl, requestToken, audience, signal, ...(timeoutMs ? { timeoutMs } : {}) }), source: GITHUB_ACTIONS_SOURCE };
}

/** The token itself, or the file it is in (cosign takes both); never echoed in an error. */
async function readGivenToken(value: string, source: string): Promise<string> {
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(value.trim())) return value.trim();
  if (!existsSync(value)) {
    throw new KubectlBuildError('USAGE', `the value of ${source} is neither an OIDC ID token nor a file that exists`, {
      hint: 'pass the token itself or the path of a file holding it',
    });
  }
  try {
    return (await readFile(value, 'utf8')).trim();
  } catch {
    throw new KubectlBuildError('NOT_FOUND', `cannot read the identity token file named by ${source}`, { hint: 'check the file and its permissions' });
  }
}

function announce(url: string, settings: KeylessSettings): void {
  const open = settings.browser !== 'none';
  settings.stderr.write(`sign: to sign keylessly, log in at this address (the build runs meanwhile)${open ? '; opening it in your browser' : ''}:\n  ${url}\n`);
  if (!open) return;
  // The browser is a convenience: the address is printed, so a failure to open one is not an error.
  void import('open')
    .then(({ default: openUrl }) => openUrl(url, settings.browser ? { app: { name: settings.browser } } : {}))
    .then((child) => child.on('error', () => undefined))
    .catch(() => undefined);
}

// While waiting, a line now and then says how long it has been (a plain log shows no clock).
const WAIT_NOTICE_MS = 30_000;

function waitForLogin(token: Promise<Identity>, settings: KeylessSettings): Promise<Identity> {
  const started = Date.now();
  let notice: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    notice = setInterval(() => {
      settings.stderr.write(`sign: still waiting for the OIDC login (${formatDuration(Date.now() - started)} of ${formatDuration(settings.loginTimeoutMs)})\n`);
    }, WAIT_NOTICE_MS);
    timer = setTimeout(() => {
      reject(
        new KubectlBuildError('UNAUTHENTICATED', `the OIDC login did not finish within ${formatDuration(settings.loginTimeoutMs)} after the build`, {
          hint: 'log in at the address printed above in time (or raise --login-timeout), or pass a token with --identity-token (or SIGSTORE_ID_TOKEN)',
        }),
      );
    }, settings.loginTimeoutMs);
  });
  return Promise.race([token, timeout]).finally(() => {
    clearTimeout(timer);
    clearInterval(notice);
  });
}
