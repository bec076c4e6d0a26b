import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest } from './http.ts';

const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.close()));

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the registry client’s HTTP', () => {
  it('hands each connection back once a response is read or discarded: many requests, few connections', async () => {
    const peers = new Set<string>();
    const url = await serve((request, response) => {
      peers.add(`${request.socket.remotePort}`);
      request.resume();
      request.on('end', () => response.writeHead(request.method === 'HEAD' ? 404 : 202, { 'content-length': '0' }).end());
    });
    for (let n = 0; n < 40; n++) {
      const method = ['HEAD', 'POST', 'PUT', 'GET'][n % 4] as string;
      const response = await httpRequest(`${url}/v2/`, { method, timeoutMs: 5000, ...(method === 'PUT' ? { body: Buffer.from('x') } : {}) });
      if (n % 2 === 0) response.discard();
      else await response.text();
    }
    // Sequential requests over one kept-alive connection (a leak would open one per request and stall at 16).
    expect(peers.size).toBeLessThanOrEqual(2);
  });

  it('follows redirects as fetch does, without the Authorization header on another origin', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const storage = await serve((request, response) => {
      seen.push(request.headers);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('blob');
    });
    const registry = await serve((request, response) => {
      seen.push(request.headers);
      if (request.method === 'POST') return void response.writeHead(303, { location: '/v2/after-post' }).end();
      if (request.url === '/v2/after-post') return void response.writeHead(200).end(`${request.method}`);
      response.writeHead(307, { location: `${storage}/bucket/blob` }).end();
    });
    const blob = await httpRequest(`${registry}/v2/blobs/x`, { method: 'GET', headers: { authorization: 'Bearer secret' }, timeoutMs: 5000 });
    expect(await blob.text()).toBe('blob');
    expect(seen.map((headers) => headers.authorization)).toEqual(['Bearer secret', undefined]);
    const posted = await httpRequest(`${registry}/v2/upload`, { method: 'POST', body: Buffer.from('data'), timeoutMs: 5000 });
    expect(await posted.text()).toBe('GET');
  });
});
