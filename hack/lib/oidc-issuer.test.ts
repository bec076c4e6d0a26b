import { createHash, randomBytes, type JsonWebKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwt } from './jwt.ts';
import { MINT_PATH, startOidcIssuer, type OidcIssuer } from './oidc-issuer.ts';

const IDENTITY = 'tester@example.com';
let issuer: OidcIssuer;

beforeAll(async () => {
  issuer = await startOidcIssuer({ clientId: 'sigstore', identity: IDENTITY });
});
afterAll(() => issuer.close());

async function getJson(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${issuer.url}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function verify(token: string): Promise<Record<string, unknown>> {
  const { keys } = (await getJson('/keys')) as { keys: JsonWebKey[] };
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string; alg: string };
  expect(header.alg).toBe('ES256');
  const key = keys.find((candidate) => candidate.kid === header.kid);
  if (!key) throw new Error(`no key ${header.kid} in the JWKS`);
  return verifyJwt(token, key);
}

function authorizationUrl(params: Record<string, string>): string {
  const url = new URL(`${issuer.url}/authorize`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

describe('OIDC issuer', () => {
  it('serves discovery whose endpoints live under the issuer URL', async () => {
    const config = await getJson('/.well-known/openid-configuration');
    expect(config.issuer).toBe(issuer.url);
    expect(config.jwks_uri).toBe(`${issuer.url}/keys`);
    expect(config.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('mints tokens for the identity, or another subject and audience, that verify against the JWKS', async () => {
    const claims = await verify(issuer.mint());
    expect(claims).toMatchObject({ iss: issuer.url, sub: IDENTITY, email: IDENTITY, email_verified: true, aud: 'sigstore' });
    const res = await fetch(`${issuer.url}${MINT_PATH}`, { method: 'POST', body: JSON.stringify({ subject: 'other@example.com', audience: 'x', expiresInSeconds: 5 }) });
    const other = await verify(((await res.json()) as { id_token: string }).id_token);
    expect(other).toMatchObject({ sub: 'other@example.com', email: 'other@example.com', aud: 'x' });
    expect((other.exp as number) - (other.iat as number)).toBe(5);
  });

  it('runs the authorization code flow with PKCE and hands back the nonce in the ID token', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://localhost:45678/auth/callback';
    const res = await fetch(
      authorizationUrl({ response_type: 'code', client_id: 'sigstore', redirect_uri: redirectUri, scope: 'openid email', state: 's1', nonce: 'n1', code_challenge: challenge, code_challenge_method: 'S256' }),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code') ?? '';

    const exchange = (codeVerifier: string) =>
      fetch(`${issuer.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: 'sigstore', code_verifier: codeVerifier }),
      });
    const wrong = await exchange('not-the-verifier');
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });

    // A failed exchange burns the code, as a leaked code must not be retried.
    expect((await exchange(verifier)).status).toBe(400);
  });

  it('exchanges a fresh code once, for an ID token of the identity with the nonce', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const redirectUri = 'http://127.0.0.1:45679/callback';
    const res = await fetch(
      authorizationUrl({
        response_type: 'code', client_id: 'sigstore', redirect_uri: redirectUri, scope: 'openid email', nonce: 'n2',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
      }),
      { redirect: 'manual' },
    );
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('sigstore:').toString('base64')}` };
    const ok = await fetch(`${issuer.url}/token`, { method: 'POST', headers, body });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as { id_token: string; token_type: string };
    expect(tokens.token_type).toBe('Bearer');
    expect(await verify(tokens.id_token)).toMatchObject({ sub: IDENTITY, nonce: 'n2', aud: 'sigstore' });
    expect((await fetch(`${issuer.url}/token`, { method: 'POST', headers, body })).status).toBe(400);
  });

  it('refuses authorization requests without PKCE or with a non-loopback redirect', async () => {
    const base = { response_type: 'code', client_id: 'sigstore', scope: 'openid', code_challenge: 'abc', code_challenge_method: 'S256' };
    const remote = await fetch(authorizationUrl({ ...base, redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
    expect(remote.status).toBe(400);
    const plain = await fetch(authorizationUrl({ ...base, redirect_uri: 'http://localhost:1/cb', code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(await plain.json()).toMatchObject({ error: 'invalid_request' });
  });
});
