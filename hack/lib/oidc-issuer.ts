// A small OpenID Connect issuer for one test identity, on 127.0.0.1: discovery, JWKS, the
// authorization code flow with PKCE (S256) as the sigstore CLIs use it, and a test-only endpoint
// that mints ID tokens directly (what CI's SIGSTORE_ID_TOKEN would hold). Fulcio trusts it as an
// "email" issuer, so every token carries email and email_verified.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey, signJwt, type SigningKey } from './jwt.ts';

export interface OidcIssuerOptions {
  readonly clientId: string;
  /** Email (and subject) of the identity that logs in and that tokens are minted for by default. */
  readonly identity: string;
  readonly port?: number;
}

/** Body of POST /test/token. */
export interface MintRequest {
  readonly audience?: string;
  readonly expiresInSeconds?: number;
  readonly subject?: string;
  readonly emailVerified?: boolean;
}

export interface OidcIssuer {
  readonly url: string;
  mint(request?: MintRequest): string;
  close(): Promise<void>;
}

export const MINT_PATH = '/test/token';
const CODE_LIFETIME_MS = 60_000;

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly nonce: string | undefined;
  readonly expires: number;
}

class HttpError extends Error {
  readonly status: number;
  readonly error: string;
  constructor(status: number, error: string, description: string) {
    super(description);
    this.status = status;
    this.error = error;
  }
}

export async function startOidcIssuer(options: OidcIssuerOptions): Promise<OidcIssuer> {
  const key = generateSigningKey();
  const codes = new Map<string, PendingCode>();
  let url = '';

  const mint = (request: MintRequest = {}, nonce?: string): string => {
    const now = Math.floor(Date.now() / 1000);
    const subject = request.subject ?? options.identity;
    return signJwt(key, {
      iss: url,
      sub: subject,
      aud: request.audience ?? options.clientId,
      iat: now,
      nbf: now - 5,
      exp: now + (request.expiresInSeconds ?? 600),
      email: subject,
      email_verified: request.emailVerified ?? true,
      ...(nonce === undefined ? {} : { nonce }),
    });
  };

  const server = createServer((req, res) => {
    handle(req, res, { options, key, codes, mint, url: () => url }).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.error, error_description: error.message });
      sendJson(res, 500, { error: 'server_error', error_description: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    mint: (request) => mint(request),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Context {
  readonly options: OidcIssuerOptions;
  readonly key: SigningKey;
  readonly codes: Map<string, PendingCode>;
  readonly mint: (request: MintRequest, nonce?: string) => string;
  readonly url: () => string;
}

async function handle(req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
  const target = new URL(req.url ?? '/', context.url());
  const route = `${req.method} ${target.pathname}`;
  switch (route) {
    case 'GET /.well-known/openid-configuration':
      return sendJson(res, 200, discovery(context.url()));
    case 'GET /keys':
      return sendJson(res, 200, { keys: [context.key.jwk] });
    case 'GET /authorize':
      return authorize(target.searchParams, res, context);
    case 'POST /token':
      return sendJson(res, 200, exchange(new URLSearchParams(await readBody(req)), req.headers.authorization, context));
    case `POST ${MINT_PATH}`: {
      const body = await readBody(req);
      const request = (body.trim() === '' ? {} : JSON.parse(body)) as MintRequest;
      return sendJson(res, 200, { id_token: context.mint(request) });
    }
    default:
      throw new HttpError(404, 'not_found', `no route for ${route}`);
  }
}

function discovery(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/keys`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    scopes_supported: ['openid', 'email'],
    grant_types_supported: ['authorization_code'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'email', 'email_verified', 'nonce'],
  };
}

/** The user is already "logged in": approve at once and redirect with a code. */
function authorize(params: URLSearchParams, res: ServerResponse, context: Context): void {
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!isLoopbackRedirect(redirectUri)) throw new HttpError(400, 'invalid_request', `redirect_uri must be a loopback http URL, got "${redirectUri}"`);
  if (params.get('client_id') !== context.options.clientId) throw new HttpError(400, 'unauthorized_client', `unknown client_id "${params.get('client_id')}"`);
  if (params.get('response_type') !== 'code') throw new HttpError(400, 'unsupported_response_type', 'only response_type=code is supported');
  if (!(params.get('scope') ?? '').split(' ').includes('openid')) throw new HttpError(400, 'invalid_scope', 'scope must include openid');
  const challenge = params.get('code_challenge');
  if (!challenge || params.get('code_challenge_method') !== 'S256') {
    throw new HttpError(400, 'invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
  }
  const code = randomBytes(24).toString('base64url');
  context.codes.set(code, {
    clientId: context.options.clientId,
    redirectUri,
    challenge,
    nonce: params.get('nonce') ?? undefined,
    expires: Date.now() + CODE_LIFETIME_MS,
  });
  const location = new URL(redirectUri);
  location.searchParams.set('code', code);
  const state = params.get('state');
  if (state !== null) location.searchParams.set('state', state);
  res.writeHead(302, { location: location.toString(), 'cache-control': 'no-store' }).end();
}

function exchange(form: URLSearchParams, authorization: string | undefined, context: Context): Record<string, unknown> {
  if (form.get('grant_type') !== 'authorization_code') throw new HttpError(400, 'unsupported_grant_type', 'only authorization_code is supported');
  const code = form.get('code') ?? '';
  const pending = context.codes.get(code);
  context.codes.delete(code);
  if (!pending || pending.expires < Date.now()) throw new HttpError(400, 'invalid_grant', 'unknown, used or expired code');
  const clientId = form.get('client_id') ?? basicUser(authorization);
  if (clientId !== pending.clientId) throw new HttpError(401, 'invalid_client', `code was issued to another client than "${clientId}"`);
  if (form.get('redirect_uri') !== pending.redirectUri) throw new HttpError(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
  const verifier = form.get('code_verifier') ?? '';
  if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) {
    throw new HttpError(400, 'invalid_grant', 'code_verifier does not match the code_challenge');
  }
  const idToken = context.mint({}, pending.nonce);
  return { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer', expires_in: 600, id_token: idToken, scope: 'openid email' };
}

function isLoopbackRedirect(value: string): boolean {
  try {
    const target = new URL(value);
    return target.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(target.hostname);
  } catch {
    return false;
  }
}

function basicUser(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return decodeURIComponent(colon < 0 ? decoded : decoded.slice(0, colon));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
