import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeRegistry } from './probe.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];

async function listen(server: Server): Promise<string> {
  servers.push(server);
  server.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  sockets.splice(0).forEach((socket) => socket.destroy());
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('probeRegistry', () => {
  it('answered: any HTTP answer, a 401 challenge included', async () => {
    const host = await listen(createHttpServer((_request, response) => response.writeHead(401).end()));
    expect(await probeRegistry(`http://${host}/v2/`, 2_000)).toBe('answered');
  });

  it('answered: a server that speaks another protocol (plain HTTP asked over TLS) or closes the connection', async () => {
    const http = await listen(createHttpServer((_request, response) => response.end('ok')));
    expect(await probeRegistry(`https://${http}/v2/`, 2_000)).toBe('answered');
    const closing = await listen(createServer((socket) => socket.end()));
    expect(await probeRegistry(`http://${closing}/v2/`, 2_000)).toBe('answered');
  });

  it('silent: the connection accepted and nothing sent back (a blackhole)', async () => {
    const host = await listen(createServer(() => {}));
    expect(await probeRegistry(`http://${host}/v2/`, 300)).toBe('silent');
  });

  it('silent: a proxy dropping the answers, which closes only when the server closes (asked to by "Connection: close")', async () => {
    const host = await listen(createServer((socket) => socket.on('data', (request: Buffer) => /^connection: close\r$/im.test(request.toString()) && socket.end())));
    expect(await probeRegistry(`http://${host}/v2/`, 300)).toBe('silent');
  });

  it('unreachable: nothing listens', async () => {
    const host = await listen(createServer());
    await new Promise((resolve) => (servers.pop() as Server).close(resolve));
    expect(await probeRegistry(`http://${host}/v2/`, 2_000)).toBe('unreachable');
  });
});
