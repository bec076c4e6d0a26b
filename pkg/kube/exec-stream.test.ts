// The pods/exec stream against a stand-in API server on this machine that speaks the same
// WebSocket channel protocol: what reaches the server (credentials, command, frames) and what the
// caller gets back. The real API server is met in integration/cluster.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { KubeConfig, type V1Status } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeConnection } from './config.ts';
import { ExecRefusedError, openExecStream } from './exec-stream.ts';
import { FrameReader, Opcode, type Frame } from './websocket-frames.ts';

let server: Server | undefined;
afterEach(() => server?.close());

/** A server frame: final, unmasked, binary, its length in 8 bytes. */
function serverFrame(payload: Buffer): Buffer {
  const header = Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(payload.length, 6);
  return Buffer.concat([header, payload]);
}

async function standIn(onExec: (request: IncomingMessage, socket: Socket, frames: Frame[]) => void, refuse?: number): Promise<KubeConnection> {
  server = createServer((_request, response) => response.writeHead(refuse ?? 400).end());
  server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    if (refuse) {
      socket.end(`HTTP/1.1 ${refuse} Forbidden\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const accept = createHash('sha1').update(`${String(request.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n`);
    const reader = new FrameReader();
    const frames: Frame[] = [];
    socket.on('data', (chunk: Buffer) => {
      frames.push(...reader.push(chunk));
      onExec(request, socket, frames);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  // client-node refuses plain HTTP unless TLS checks are off; the real API server is HTTPS.
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${address.port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'the-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'ns' }],
    currentContext: 'x',
  });
  return { config, contextName: 'x', namespace: 'ns', description: 'context "x", namespace "ns"' };
}

describe('openExecStream', () => {
  it('runs the command with the kubeconfig\'s credentials, sends stdin on channel 0 and its end, and hands back stdout and the status', async () => {
    let seen: IncomingMessage | undefined;
    const connection = await standIn((request, socket, frames) => {
      seen = request;
      // Once stdin was closed (255, 0): echo what came on channel 0 as stdout, then the status, then close.
      if (socket.writableEnded || !frames.some((frame) => frame.payload[0] === 255 && frame.payload[1] === 0)) return;
      const stdin = Buffer.concat(frames.filter((frame) => frame.opcode === Opcode.binary && frame.payload[0] === 0).map((frame) => frame.payload.subarray(1)));
      socket.write(serverFrame(Buffer.concat([Buffer.of(1), stdin])));
      socket.write(serverFrame(Buffer.concat([Buffer.of(3), Buffer.from(JSON.stringify({ status: 'Success' }))])));
      socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
    });
    const stdin = new PassThrough();
    const out: Buffer[] = [];
    const statuses: V1Status[] = [];
    const stream = await openExecStream(connection, { pod: 'p', container: 'c', command: ['buildctl', 'dial-stdio'] }, {
      stdin,
      stdout: new Writable({ write: (chunk: Buffer, _encoding, done) => (out.push(chunk), done()) }),
      stderr: () => {},
      status: (status) => statuses.push(status),
    });
    const big = Buffer.alloc(200_000, 'x');
    stdin.write('hello ');
    stdin.end(big);
    await stream.closed;

    expect(seen?.url).toBe('/api/v1/namespaces/ns/pods/p/exec?stdout=true&stderr=true&stdin=true&tty=false&container=c&command=buildctl&command=dial-stdio');
    expect(seen?.headers.authorization).toBe('Bearer the-token');
    expect(Buffer.concat(out).equals(Buffer.concat([Buffer.from('hello '), big]))).toBe(true);
    expect(statuses).toEqual([{ status: 'Success' }]);
  });

  it('rejects with the HTTP status when the API server refuses the exec', async () => {
    const connection = await standIn(() => {}, 403);
    const refused = openExecStream(connection, { pod: 'p', container: 'c', command: ['true'] }, { stdin: new PassThrough(), stdout: new PassThrough(), stderr: () => {}, status: () => {} });
    await expect(refused).rejects.toBeInstanceOf(ExecRefusedError);
    await expect(refused).rejects.toMatchObject({ status: 403 });
  });
});
