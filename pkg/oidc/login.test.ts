// The PKCE login against a small issuer on loopback: the browser's part is played by fetch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubectlBuildError } from '../errors/index.ts';
import { startLogin } from './login.ts';
import { browse, startTestIssuer, type TestIssuer } from './test-issuer.ts';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());

describe('startLogin', () => {
  it('returns the authorization URL at once and the token when the browser comes back', async () => {
    issuer.mode = 'code';
    const login = await startLogin({ issuer: `${issuer.url}/`, clientId: 'sigstore' });
    const url = new URL(login.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${issuer.url}/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toBe('openid email');
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/auth\/callback$/);
    expect(await browse(login.authorizationUrl)).toBe(200);
    expect(await login.token).toBe(issuer.tokens.at(-1));
  });

  it('ignores a redirect with another state and keeps waiting', async () => {
    const login = await startLogin({ issuer: issuer.url, clientId: 'sigstore' });
    const redirectUri = new URL(login.authorizationUrl).searchParams.get('redirect_uri') as string;
    expect((await fetch(`${redirectUri}?code=stolen&state=other`)).status).toBe(404);
    await browse(login.authorizationUrl);
    expect(await login.token).toBe(issuer.tokens.at(-1));
  });

  it('a refused login rejects with the issuer\'s reason', async () => {
    issuer.mode = 'deny';
    const login = await startLogin({ issuer: issuer.url, clientId: 'sigstore' });
    expect(await browse(login.authorizationUrl)).toBe(400);
    await expect(login.token).rejects.toThrow('the OIDC issuer refused the login (access_denied: the user said no)');
    issuer.mode = 'code';
  });

  it("the issuer failing the code's exchange: said with the issuer's name, the browser told the login failed", async () => {
    issuer.mode = 'unwell';
    const login = await startLogin({ issuer: issuer.url, clientId: 'sigstore' });
    expect(await browse(login.authorizationUrl)).toBe(500);
    await expect(login.token).rejects.toMatchObject({ code: 'UNAVAILABLE', message: `the OIDC issuer ${issuer.url} failed the login's token request (HTTP 503)`, hint: 'try again later, or pass --identity-token' });
    issuer.mode = 'code';
  });

  it('cancelling closes the listener and rejects with CANCELLED', async () => {
    const abort = new AbortController();
    const login = await startLogin({ issuer: issuer.url, clientId: 'sigstore', signal: abort.signal });
    abort.abort();
    const error = await login.token.catch((thrown: unknown) => thrown);
    expect((error as KubectlBuildError).code).toBe('CANCELLED');
    const redirectUri = new URL(login.authorizationUrl).searchParams.get('redirect_uri') as string;
    await expect(fetch(redirectUri.replace('localhost', '127.0.0.1'))).rejects.toThrow();
  });

  it('an issuer without a discovery document fails before anything waits', async () => {
    await expect(startLogin({ issuer: `${issuer.url}/nothing`, clientId: 'sigstore' })).rejects.toThrow(/is not an OIDC issuer \(no usable discovery document, HTTP 404\)/);
    await expect(startLogin({ issuer: 'http://127.0.0.1:1', clientId: 'sigstore' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
