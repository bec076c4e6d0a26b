// A command run in a pod through the API server's pods/exec, its stdin and stdout joined to local
// streams: the WebSocket handshake on Node's own https client (the kubeconfig's credentials and TLS
// settings applied as @kubernetes/client-node applies them), then the channel protocol of
// k8s.io/apimachinery's remotecommand (v5.channel.k8s.io; v4 when the server has no v5): each message
// starts with its channel, 0 stdin, 1 stdout, 2 stderr, 3 the command's final status; 255 closes a
// channel. Ours rather than client-node's Exec because the build context crosses here: client-node
// masked every frame in JavaScript into a copy, copied each chunk once more to put the channel in
// front, and read stdin without waiting for the socket, so that the whole upload could queue in
// memory (1 GB of context cost 11 s more CPU than the direct path). Here a chunk is written as it
// came, behind a header of a few bytes, and stdin is paused while the socket is full.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import type { KubeConnection } from './config.ts';
import { FrameReader, Opcode, clientFrame, clientFrameHeader, type Frame } from './websocket-frames.ts';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const Channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, close: 255 } as const;

/** The API server answered the exec request with something else than a WebSocket. */
export class ExecRefusedError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`the API server answered the exec request with HTTP ${status}`);
    this.status = status;
  }
}

export interface ExecTarget {
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
}

export interface ExecStreams {
  /** Sent to the command's stdin; its end closes stdin (v5), paused while the socket is full. */
  readonly stdin: Readable;
  /** Where the command's stdout goes. */
  readonly stdout: Writable;
  stderr(chunk: Buffer): void;
  /** The command's final status, when the server sends one. */
  status(status: V1Status): void;
}

export interface ExecStream {
  /** Resolves when the WebSocket is closed, by either side. */
  readonly closed: Promise<void>;
  close(): void;
}

function execPath(namespace: string, target: ExecTarget): string {
  const query = new URLSearchParams({ stdout: 'true', stderr: 'true', stdin: 'true', tty: 'false', container: target.container });
  for (const word of target.command) query.append('command', word);
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(target.pod)}/exec?${query.toString()}`;
}

/** Opens the WebSocket: resolves with its socket once the server switched protocols. */
async function handshake(connection: KubeConnection, path: string): Promise<{ socket: Socket; head: Buffer; protocol: string }> {
  const server = connection.config.getCurrentCluster()?.server;
  if (!server) throw new Error(`no cluster server in ${connection.description}`);
  const options: RequestOptions = {};
  await connection.config.applyToHTTPSOptions(options);
  const key = randomBytes(16).toString('base64');
  const url = new URL(path, server);
  const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
    ...options,
    headers: {
      ...options.headers,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': PROTOCOLS.join(', '),
    },
  });
  return new Promise((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response: IncomingMessage) => {
      response.resume();
      reject(new ExecRefusedError(response.statusCode ?? 0));
    });
    request.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      const accept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
      const protocol = String(response.headers['sec-websocket-protocol'] ?? '');
      if (response.headers['sec-websocket-accept'] !== accept || !PROTOCOLS.includes(protocol)) {
        socket.destroy();
        reject(new Error(`the API server's WebSocket answer is not one kubectl build understands (protocol "${protocol}")`));
        return;
      }
      resolve({ socket, head, protocol });
    });
    request.end();
  });
}

export async function openExecStream(connection: KubeConnection, target: ExecTarget, streams: ExecStreams): Promise<ExecStream> {
  const { socket, head, protocol } = await handshake(connection, execPath(connection.namespace, target));
  socket.setNoDelay(true);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const send = (opcode: number, payload: Buffer) => !socket.destroyed && socket.write(clientFrame(opcode, payload));

  // stdin: one frame per chunk, the channel byte at the end of the header; no copy of the chunk.
  const { stdin } = streams;
  stdin.on('data', (chunk: Buffer) => {
    if (socket.destroyed) return;
    socket.cork();
    socket.write(clientFrameHeader(Opcode.binary, chunk.length + 1, Channel.stdin));
    const roomLeft = socket.write(chunk);
    socket.uncork();
    if (!roomLeft) {
      stdin.pause();
      socket.once('drain', () => stdin.resume());
    }
  });
  stdin.on('end', () => {
    if (protocol === PROTOCOLS[0]) send(Opcode.binary, Buffer.of(Channel.close, Channel.stdin));
  });

  // What the server sends: messages may come in fragments, the channel in the first one only.
  const reader = new FrameReader();
  let channel = -1;
  let statusBytes: Buffer[] = [];
  const deliver = (data: Buffer, last: boolean) => {
    if (channel === Channel.stdout && data.length > 0 && !streams.stdout.write(data)) {
      socket.pause();
      streams.stdout.once('drain', () => socket.resume());
    } else if (channel === Channel.stderr && data.length > 0) streams.stderr(data);
    else if (channel === Channel.status) {
      statusBytes.push(data);
      if (last) {
        streams.status(JSON.parse(Buffer.concat(statusBytes).toString('utf8')) as V1Status);
        statusBytes = [];
      }
    }
  };
  const onFrame = (frame: Frame) => {
    if (frame.opcode === Opcode.ping) send(Opcode.pong, frame.payload);
    else if (frame.opcode === Opcode.close) {
      send(Opcode.close, frame.payload.subarray(0, 2));
      socket.end();
    } else if (frame.opcode === Opcode.binary || frame.opcode === Opcode.text) {
      channel = frame.payload[0] ?? -1;
      deliver(frame.payload.subarray(1), frame.fin);
    } else if (frame.opcode === Opcode.continuation) deliver(frame.payload, frame.fin);
  };
  const onData = (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) onFrame(frame);
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => streams.stdout.end());
  if (head.length > 0) onData(head);

  return {
    closed,
    close() {
      if (socket.destroyed) return;
      send(Opcode.close, Buffer.from([0x03, 0xe8]));
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };
}
