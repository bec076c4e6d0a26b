// The interactive OIDC login of the Sigstore tools: OAuth 2.0 authorization code with PKCE. The
// issuer's endpoints come from its discovery document; a loopback HTTP server catches the browser's
// redirect (http://localhost:PORT/auth/callback, as cosign registers it); the code is exchanged for
// an ID token. startLogin returns as soon as the URL is ready, so the caller can build meanwhile;
// the token arrives as a promise. The token is never logged; errors never quote it.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubectlBuildError } from '../errors/index.ts';
import { describeFetchError, withTimeout } from './fetch.ts';
import { readClaims } from './token.ts';

export interface LoginOptions {
  /** The issuer URL (https://oauth2.sigstore.dev/auth). */
  readonly issuer: string;
  readonly clientId: string;
  readonly scope?: string;
  /** Cancels the login: the server closes, the token promise rejects with CANCELLED. */
  readonly signal?: AbortSignal;
  /** How long discovery and the code exchange may take each. */
  readonly requestTimeoutMs?: number;
}

export interface PendingLogin {
  /** The page the user must open (print it; open a browser on it). */
  readonly authorizationUrl: string;
  /** Resolves with the ID token when the browser comes back; rejects on refusal or cancel. */
  readonly token: Promise<string>;
  /** Stops listening for the redirect (idempotent); a pending token promise rejects. */
  close(): void;
}

interface Endpoints {
  readonly authorization: string;
  readonly token: string;
}

const CALLBACK_PATH = '/auth/callback';

/** Discovers the issuer, starts the redirect listener and returns the URL to open. */
export async function startLogin(options: LoginOptions): Promise<PendingLogin> {
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const endpoints = await discover(options.issuer, timeoutMs, options.signal);
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const servers: Server[] = [];
  let settle: { resolve: (token: string) => void; reject: (error: unknown) => void } | undefined;
  const token = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  // Whoever awaits the token later sees the failure; until then it must not count as unhandled.
  token.catch(() => undefined);
  let done = false;
  const finish = (error: unknown, value?: string) => {
    if (done) return;
    done = true;
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
    options.signal?.removeEventListener('abort', onAbort);
    if (value !== undefined) settle?.resolve(value);
    else settle?.reject(error);
  };
  const onAbort = () => finish(new KubectlBuildError('CANCELLED', 'the OIDC login was cancelled', { hint: 'nothing was signed' }));

  let redirectUri = '';
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== CALLBACK_PATH || url.searchParams.get('state') !== state || done) {
      // A stray request (a favicon, an old tab): not ours, and not a reason to give up.
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const code = url.searchParams.get('code');
    if (!code) {
      const reason = [url.searchParams.get('error'), url.searchParams.get('error_description')].filter(Boolean).join(': ') || 'no code in the redirect';
      page(response, 400, 'The login failed. You can close this window.');
      finish(new KubectlBuildError('UNAUTHENTICATED', `the OIDC issuer refused the login (${reason})`, { hint: 'log in again, or pass --identity-token' }));
      return;
    }
    exchange(endpoints.token, { issuer: options.issuer, code, redirectUri, clientId: options.clientId, verifier }, timeoutMs, options.signal)
      .then((idToken) => {
        const claims = readClaims(idToken, 'the OIDC login');
        if (claims.nonce !== undefined && claims.nonce !== nonce) {
          throw new KubectlBuildError('UNAUTHENTICATED', 'the ID token from the OIDC login answers another login (nonce mismatch)', { hint: 'log in again' });
        }
        page(response, 200, 'Logged in: kubectl build signs your image now. You can close this window.');
        finish(undefined, idToken);
      })
      .catch((error: unknown) => {
        page(response, 500, 'The login failed. You can close this window.');
        finish(error);
      });
  };

  const first = await listen(createServer(handle), '127.0.0.1', 0);
  servers.push(first);
  const port = (first.address() as AddressInfo).port;
  // Browsers may resolve localhost to ::1 first; listen there too where the host has IPv6.
  await listen(createServer(handle), '::1', port).then((server) => servers.push(server), () => undefined);
  redirectUri = `http://localhost:${port}${CALLBACK_PATH}`;

  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const authorizationUrl = new URL(endpoints.authorization);
  const params = {
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) authorizationUrl.searchParams.set(key, value);
  return {
    authorizationUrl: authorizationUrl.toString(),
    token,
    close: () => finish(new KubectlBuildError('CANCELLED', 'the OIDC login was stopped before it finished', { hint: 'nothing was signed' })),
  };
}

async function discover(issuer: string, timeoutMs: number, signal?: AbortSignal): Promise<Endpoints> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { signal: withTimeout(timeoutMs, signal) });
  } catch (error) {
    if (signal?.aborted) throw new KubectlBuildError('CANCELLED', 'the OIDC login was cancelled', { hint: 'nothing was signed' });
    if ((error as { name?: string }).name === 'TimeoutError') {
      throw new KubectlBuildError('UNAVAILABLE', `the OIDC issuer ${issuer} did not answer within ${timeoutMs / 1000} s`, {
        hint: 'check --oidc-issuer and the network, raise --sign-timeout, or pass --identity-token',
        cause: error,
      });
    }
    throw new KubectlBuildError('UNAVAILABLE', `cannot reach the OIDC issuer ${issuer} (${describeFetchError(error)})`, {
      hint: 'check --oidc-issuer and the network, or pass --identity-token',
      cause: error,
    });
  }
  // A broken issuer is not a wrong address: it is said so, and may be tried again.
  if (response.status >= 500) {
    throw new KubectlBuildError('UNAVAILABLE', `the OIDC issuer ${issuer} failed its discovery request (HTTP ${response.status})`, {
      hint: 'try again later, or pass --identity-token',
    });
  }
  const document = response.ok ? ((await response.json().catch(() => undefined)) as Record<string, unknown> | undefined) : undefined;
  const authorization = document?.authorization_endpoint;
  const token = document?.token_endpoint;
  if (typeof authorization !== 'string' || typeof token !== 'string') {
    throw new KubectlBuildError('UNAVAILABLE', `${issuer} is not an OIDC issuer (no usable discovery document${response.ok ? '' : `, HTTP ${response.status}`})`, {
      hint: 'check --oidc-issuer: it is the issuer URL, whose /.well-known/openid-configuration lists the endpoints',
    });
  }
  return { authorization, token };
}

interface Exchange {
  /** For messages: the issuer the user logs in with (its token endpoint may be elsewhere). */
  readonly issuer: string;
  readonly code: string;
  readonly redirectUri: string;
  readonly clientId: string;
  readonly verifier: string;
}

async function exchange(endpoint: string, request: Exchange, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: request.code,
    redirect_uri: request.redirectUri,
    client_id: request.clientId,
    code_verifier: request.verifier,
  });
  const { issuer } = request;
  // The code was given once and may be spent: the exchange is not repeated; the user logs in again.
  const again = 'run the command again to log in again, or pass --identity-token';
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', body, headers: { accept: 'application/json' }, signal: withTimeout(timeoutMs, signal) });
  } catch (error) {
    if (signal?.aborted) throw new KubectlBuildError('CANCELLED', 'the OIDC login was cancelled', { hint: 'nothing was signed' });
    if ((error as { name?: string }).name === 'TimeoutError') {
      throw new KubectlBuildError('UNAVAILABLE', `the OIDC issuer ${issuer} did not answer the login's token request within ${timeoutMs / 1000} s`, {
        hint: 'raise --sign-timeout, or pass --identity-token',
        cause: error,
      });
    }
    throw new KubectlBuildError('UNAVAILABLE', `cannot reach the token endpoint ${endpoint} of the OIDC issuer ${issuer} (${describeFetchError(error)})`, { hint: again, cause: error });
  }
  const answer = (await response.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown; error_description?: unknown };
  if (response.status >= 500) {
    throw new KubectlBuildError('UNAVAILABLE', `the OIDC issuer ${issuer} failed the login's token request (HTTP ${response.status})`, { hint: 'try again later, or pass --identity-token' });
  }
  if (!response.ok || typeof answer.id_token !== 'string') {
    // The error fields are the issuer's words about the request, never a token.
    const reason = [answer.error, answer.error_description].filter((part) => typeof part === 'string').join(': ') || `HTTP ${response.status}`;
    const what = response.ok ? 'gave no ID token for the login' : "refused the login's code";
    throw new KubectlBuildError('UNAUTHENTICATED', `the OIDC issuer ${issuer} ${what} (${reason})`, { hint: again });
  }
  return answer.id_token;
}

function listen(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function page(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
  response.end(`<!doctype html><title>kubectl build</title><p>${text}</p>\n`);
}
