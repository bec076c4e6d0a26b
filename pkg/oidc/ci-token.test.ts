import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubectlBuildError } from '../errors/index.ts';
import { gitHubActionsToken } from './ci-token.ts';
import { fakeJwt } from './test-issuer.ts';

// A stand-in for GitHub's token endpoint, as a job sees it: bearer token required, audience in the query.
const bearer = 'runtime-bearer-0123456789abcdef';
const idToken = fakeJwt({ iss: 'https://token.actions.githubusercontent.com', aud: 'sigstore', sub: 'repo:o/r:ref:refs/heads/main' });
let server: Server;
let base = '';
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    seen.push(url.search);
    if (request.headers.authorization !== `bearer ${bearer}`) return void response.writeHead(401).end('{"message":"Bad credentials"}');
    if (url.pathname === '/no-token') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"count":0}');
    if (url.pathname === '/silent') return; // a blackhole: the request is taken, never answered
    if (url.pathname === '/failing') return void response.writeHead(500).end();
    // Fails the first two of each series (the audience names the series).
    if (url.pathname === '/flaky' && seen.filter((query) => query === url.search).length <= 2) return void response.writeHead(503).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: idToken, audience: url.searchParams.get('audience') }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
}));

async function refusal(request: Parameters<typeof gitHubActionsToken>[0]): Promise<KubectlBuildError> {
  const error = (await gitHubActionsToken(request).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )) as KubectlBuildError;
  expect(error).toBeDefined();
  expect(`${error.message} ${error.hint}`).not.toContain(request.requestToken);
  return error;
}

describe('GitHub Actions OIDC token', () => {
  it('asks the endpoint with the bearer token, for the audience, keeping the query GitHub gave', async () => {
    const token = await gitHubActionsToken({ requestUrl: `${base}/token?api-version=2.0`, requestToken: bearer, audience: 'sigstore' });
    expect(token).toBe(idToken);
    expect(seen.at(-1)).toBe('?api-version=2.0&audience=sigstore');
  });

  it('a refused request (no id-token permission) or an answer without a token: one sentence, no secret', async () => {
    const refused = await refusal({ requestUrl: `${base}/token`, requestToken: 'wrong-bearer-token-value', audience: 'sigstore' });
    expect(refused.message).toBe('GitHub Actions gave no OIDC token for the audience "sigstore" (HTTP 401)');
    expect(refused.hint).toContain('permissions: id-token: write');
    expect(refused.code).toBe('UNAUTHENTICATED');
    const empty = await refusal({ requestUrl: `${base}/no-token`, requestToken: bearer, audience: 'sigstore' });
    expect(empty.message).toBe('GitHub Actions gave no OIDC token for the audience "sigstore" (no token in its answer)');
  });

  it('a 5xx is asked again, 3 attempts at most, then said as the endpoint failing (not as a missing permission)', async () => {
    const before = seen.length;
    expect(await gitHubActionsToken({ requestUrl: `${base}/flaky`, requestToken: bearer, audience: 'flaky-1' })).toBe(idToken);
    expect(seen.length - before).toBe(3);
    const failing = await refusal({ requestUrl: `${base}/failing`, requestToken: bearer, audience: 'sigstore' });
    expect(failing.message).toBe(`GitHub Actions' OIDC token endpoint ${base} failed (HTTP 500), asked 3 times`);
    expect(failing.hint).not.toContain('id-token');
  });

  it('no answer within the timeout: said so once, not asked again', async () => {
    const before = seen.length;
    const silent = await refusal({ requestUrl: `${base}/silent`, requestToken: bearer, audience: 'sigstore', timeoutMs: 200 });
    expect(silent.message).toBe(`GitHub Actions' OIDC token endpoint ${base} did not answer within 0.2 s`);
    expect(silent.hint).toContain('raise --sign-timeout');
    expect(seen.length - before).toBe(1);
  });

  it('an endpoint that cannot be reached, or no URL at all: one sentence', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await refusal({ requestUrl: `http://127.0.0.1:${port}/token`, requestToken: bearer, audience: 'sigstore' });
    expect(unreachable.message).toBe(`cannot reach GitHub Actions' OIDC token endpoint http://127.0.0.1:${port} (ECONNREFUSED), asked 3 times`);
    expect((await refusal({ requestUrl: 'not a url', requestToken: bearer, audience: 'sigstore' })).message).toBe('ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  });
});
