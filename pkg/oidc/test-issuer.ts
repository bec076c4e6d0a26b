// A minimal OIDC issuer for the login's unit tests: discovery, an authorization endpoint that
// answers at once with a redirect (as a browser that is already logged in sees it), and a token
// endpoint that checks the PKCE verifier. Test support only; the integration suite uses a real one.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestIssuer {
  readonly url: string;
  /** What the authorization endpoint answers: a code, or an OAuth error; or a code the token endpoint then fails on (503). */
  mode: 'code' | 'deny' | 'unwell';
  readonly tokens: string[];
  close(): Promise<void>;
}

export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string }>();
  let url = '';
  const issuer: TestIssuer = {
    get url() {
      return url;
    },
    mode: 'code',
    tokens: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const requestUrl = new URL(request.url ?? '/', url);
    if (requestUrl.pathname === '/.well-known/openid-configuration') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: url, authorization_endpoint: `${url}/authorize`, token_endpoint: `${url}/token` }));
    } else if (requestUrl.pathname === '/authorize') {
      const redirect = new URL(requestUrl.searchParams.get('redirect_uri') as string);
      redirect.searchParams.set('state', requestUrl.searchParams.get('state') as string);
      if (issuer.mode === 'deny') {
        redirect.searchParams.set('error', 'access_denied');
        redirect.searchParams.set('error_description', 'the user said no');
      } else {
        const code = randomBytes(8).toString('hex');
        codes.set(code, {
          challenge: requestUrl.searchParams.get('code_challenge') as string,
          nonce: requestUrl.searchParams.get('nonce') as string,
          redirectUri: redirect.origin + redirect.pathname,
        });
        redirect.searchParams.set('code', code);
      }
      response.writeHead(302, { location: redirect.toString() }).end();
    } else if (requestUrl.pathname === '/token' && request.method === 'POST' && issuer.mode === 'unwell') {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{}');
    } else if (requestUrl.pathname === '/token' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const form = new URLSearchParams(body);
        const pending = codes.get(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (!pending || createHash('sha256').update(verifier).digest('base64url') !== pending.challenge || form.get('redirect_uri') !== pending.redirectUri) {
          response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' }));
          return;
        }
        const token = fakeJwt({ iss: url, aud: form.get('client_id'), sub: 'user-1', email: 'dev@example.com', email_verified: true, nonce: pending.nonce, exp: Math.floor(Date.now() / 1000) + 60 });
        issuer.tokens.push(token);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id_token: token, token_type: 'Bearer' }));
      });
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return issuer;
}

/** Plays the browser: follows the authorization URL's redirect to the login's callback. */
export async function browse(authorizationUrl: string): Promise<number> {
  const redirect = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = redirect.headers.get('location') as string;
  const callback = await fetch(location);
  await callback.text();
  return callback.status;
}
