// The pods/exec stream against a stand-in API server on this machine that speaks the same
// WebSocket channel protocol: what reaches the server (credentials, command, frames) and what the
// caller gets back. The real API server is met in integration/cluster.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import { KubeConfig, type V1Status } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeConnection } from './config.ts';
import { ExecHandshakeTimeout, ExecRefusedError, openExecStream } from './exec-stream.ts';

let server: Server | undefined;
afterEach(() => server?.close());

/** A stand-in API server: pods/exec as a WebSocket of the v5 channel protocol, or a refusal with `refuse`. */
async function standIn(onMessage: (request: IncomingMessage, socket: WebSocket, messages: Buffer[]) => void, refuse?: number, requestTimeoutMs = 0, autoPong = true): Promise<KubeConnection> {
  server = createServer((_request, response) => response.writeHead(refuse ?? 400).end());
  const websockets = new WebSocketServer({
    server,
    autoPong,
    handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false),
    verifyClient: (_info, done) => (refuse ? done(false, refuse) : done(true)),
  });
  websockets.on('connection', (socket, request) => {
    const messages: Buffer[] = [];
    socket.on('message', (data: Buffer) => {
      messages.push(data);
      onMessage(request, socket, messages);
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
  return { config, requestTimeoutMs, contextName: 'x', namespace: 'ns', description: 'context "x", namespace "ns"' };
}

const noStreams = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: () => {}, status: () => {} });

describe('openExecStream', () => {
  it('runs the command with the kubeconfig\'s credentials, sends stdin on channel 0 and its end, and hands back stdout and the status', async () => {
    let seen: IncomingMessage | undefined;
    const connection = await standIn((request, socket, messages) => {
      seen = request;
      // Once stdin was closed (255, 0): echo what came on channel 0 as stdout, then the status, then close.
      if (!messages.some((message) => message[0] === 255 && message[1] === 0)) return;
      const stdin = Buffer.concat(messages.filter((message) => message[0] === 0).map((message) => message.subarray(1)));
      socket.send(Buffer.concat([Buffer.of(1), stdin]));
      socket.send(Buffer.concat([Buffer.of(3), Buffer.from(JSON.stringify({ status: 'Success' }))]));
      socket.close(1000);
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
    const refused = openExecStream(connection, { pod: 'p', container: 'c', command: ['true'] }, noStreams());
    await expect(refused).rejects.toBeInstanceOf(ExecRefusedError);
    await expect(refused).rejects.toMatchObject({ status: 403 });
  });

  it('gives up after --request-timeout on an API server that takes the exec request and never switches protocols', async () => {
    const connection = await standIn(() => {}, undefined, 200);
    // Take the upgrade away from the WebSocket server: the request is read and never answered.
    server?.removeAllListeners('upgrade');
    server?.on('upgrade', () => {});
    const silent = openExecStream(connection, { pod: 'p', container: 'c', command: ['true'] }, noStreams());
    await expect(silent).rejects.toBeInstanceOf(ExecHandshakeTimeout);
    await expect(silent).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('does not bound the stream itself by --request-timeout: a command quiet for longer than it still ends with its output', async () => {
    const connection = await standIn((_request, socket, messages) => {
      if (!messages.some((message) => message[0] === 255 && message[1] === 0)) return;
      // Quiet for four times the request timeout, as a long build step is, then the answer.
      setTimeout(() => {
        socket.send(Buffer.concat([Buffer.of(1), Buffer.from('done')]));
        socket.send(Buffer.concat([Buffer.of(3), Buffer.from(JSON.stringify({ status: 'Success' }))]));
        socket.close(1000);
      }, 400);
    }, undefined, 100);
    const out: Buffer[] = [];
    const statuses: V1Status[] = [];
    const stdin = new PassThrough();
    const stream = await openExecStream(connection, { pod: 'p', container: 'c', command: ['sleep'] }, {
      ...noStreams(),
      stdin,
      stdout: new Writable({ write: (chunk: Buffer, _encoding, done) => (out.push(chunk), done()) }),
      status: (status) => statuses.push(status),
    });
    stdin.end('go');
    await stream.closed;
    expect(Buffer.concat(out).toString()).toBe('done');
    expect(statuses).toEqual([{ status: 'Success' }]);
  });

  it('gives up a stream whose API server went silent (no answer, not even to a ping) after --request-timeout, and says so', async () => {
    // A server that takes the stream and then neither sends nor answers pings: packets dropped.
    const connection = await standIn(() => {}, undefined, 150, false);
    const stdin = new PassThrough();
    const stream = await openExecStream(connection, { pod: 'p', container: 'c', command: ['sleep'] }, { ...noStreams(), stdin });
    stdin.write('go');
    expect(stream.silentMs()).toBeUndefined();
    await stream.closed;
    expect(stream.silentMs()).toBeGreaterThanOrEqual(150);
  });
});
