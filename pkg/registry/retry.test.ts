// The registry client against a local server that fails on purpose: reads are tried again within a
// bound, writes never are.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient, sha256Digest } from './client.ts';
import { READ_RETRIES, retryDelayMs } from './retry.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A registry on 127.0.0.1 whose answer to the nth request (from 1) `handler` decides; returns host:port and the requests seen. */
async function registry(handler: (n: number, request: IncomingMessage, response: ServerResponse) => void) {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => handler(seen.length, request, response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
const okManifest = (response: ServerResponse) =>
  response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(MANIFEST.length) }).end(MANIFEST);
const client = () => new RegistryClient({ credentials: async () => undefined, readRetries: { attempts: 3, firstDelayMs: 5, maxDelayMs: 20 } });

describe('registry reads are tried again, within a bound', () => {
  it('a manifest read that meets 503 then 502 succeeds on the third attempt', async () => {
    const { host, seen } = await registry((n, _request, response) => (n < 3 ? response.writeHead(n === 1 ? 503 : 502).end() : okManifest(response)));
    const manifest = await client().getManifest(host, 'app', 'v1');
    expect(manifest?.digest).toBe(sha256Digest(MANIFEST));
    expect(seen).toEqual(['GET /v2/app/manifests/v1', 'GET /v2/app/manifests/v1', 'GET /v2/app/manifests/v1']);
  });

  it('a registry that keeps failing is reported after the last attempt, with its status', async () => {
    const { host, seen } = await registry((_n, _request, response) => response.writeHead(500).end('boom'));
    await expect(client().getManifest(host, 'app', 'v1')).rejects.toThrow(/the registry failed reading .*app:v1: HTTP 500 boom/);
    expect(seen).toHaveLength(3);
  });

  it('a connection cut halfway through a blob is read again from the start', async () => {
    const blob = Buffer.alloc(100_000, 7);
    const digest = sha256Digest(blob);
    const { host, seen } = await registry((n, _request, response) => {
      response.writeHead(200, { 'content-length': String(blob.length) });
      if (n === 1) response.write(blob.subarray(0, 10_000), () => response.socket?.destroy());
      else response.end(blob);
    });
    expect((await client().getBlob(host, 'app', digest)).equals(blob)).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it('a connection reset before any answer is tried again, as are referrers and HEADs', async () => {
    const { host, seen } = await registry((n, request, response) => {
      if (n % 2 === 1) return void request.socket.destroy();
      if (request.method === 'HEAD') return void response.writeHead(200).end();
      response.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(JSON.stringify({ manifests: [] }));
    });
    expect(await client().referrers(host, 'app', `sha256:${'0'.repeat(64)}`)).toEqual([]);
    expect(await client().pushBlob(host, 'app', Buffer.from('x'))).toBe(sha256Digest(Buffer.from('x')));
    expect(seen.map((line) => line.split(' ')[0])).toEqual(['GET', 'GET', 'HEAD', 'HEAD']);
  });

  it('a read that gets no answer in time is not asked again (a blackhole would cost the timeout each time)', async () => {
    const { host, seen } = await registry(() => undefined);
    const slow = new RegistryClient({ credentials: async () => undefined, requestTimeoutMs: 200, readRetries: { attempts: 3, firstDelayMs: 5, maxDelayMs: 20 } });
    await expect(slow.getManifest(host, 'app', 'v1')).rejects.toThrow(/^the registry 127\.0\.0\.1:\d+ did not answer: no answer within 0\.2 s$/);
    expect(seen).toHaveLength(1);
  });

  it('a 404 is an answer, not a failure: asked once', async () => {
    const { host, seen } = await registry((_n, _request, response) => response.writeHead(404).end());
    expect(await client().getManifest(host, 'app', 'v1')).toBeUndefined();
    expect(seen).toHaveLength(1);
  });
});

describe('registry writes are never tried again', () => {
  it('a manifest PUT answered 503 is sent once and reported', async () => {
    const { host, seen } = await registry((_n, _request, response) => response.writeHead(503).end());
    await expect(client().putManifest(host, 'app', 'v1', MANIFEST, 'application/vnd.oci.image.manifest.v1+json')).rejects.toThrow(/HTTP 503/);
    expect(seen).toEqual(['PUT /v2/app/manifests/v1']);
  });

  it('a manifest PUT whose answer was lost is sent once, and the user is told it may have landed', async () => {
    const { host, seen } = await registry((_n, request) => request.socket.destroy());
    await expect(client().putManifest(host, 'app', 'v1', MANIFEST, 'application/vnd.oci.image.manifest.v1+json')).rejects.toThrow(
      /the connection to the registry 127\.0\.0\.1:\d+ dropped during a write, which may or may not have been stored/,
    );
    expect(seen).toHaveLength(1);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the first delay, takes Retry-After in seconds, and never exceeds the cap', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(READ_RETRIES, attempt))).toEqual([250, 500, 1000, 2000]);
    expect(retryDelayMs(READ_RETRIES, 1, '1')).toBe(1000);
    expect(retryDelayMs(READ_RETRIES, 1, '60')).toBe(2000);
    expect(retryDelayMs(READ_RETRIES, 1, 'Wed, 21 Oct 2015 07:28:00 GMT')).toBe(250);
  });
});
