// A command run in a pod through the API server's pods/exec, its stdin and stdout joined to local
// streams over `ws` (the WebSocket library @kubernetes/client-node itself uses), with the
// kubeconfig's credentials and TLS settings applied as client-node applies them, and the channel
// protocol of k8s.io/apimachinery's remotecommand (v5.channel.k8s.io; v4 when the server has no v5):
// each message starts with its channel, 0 stdin, 1 stdout, 2 stderr, 3 the command's final status;
// 255 closes a channel.
//
// Ours rather than client-node's Exec because the build context crosses here, and Exec cost our
// client 18.7 s of CPU per GB against 5.3 s on the direct path: it read stdin without waiting for
// the socket (the whole upload could queue in memory), and every frame was masked by XOR in
// JavaScript (ws without its native add-on). Here stdin pauses while the socket is full, and over TLS
// the frames carry ws's all-zero masking key (its `generateMask` option), which ws sends unmasked:
// masking keeps a plain-text intermediary from reading attacker-chosen bytes as HTTP (RFC 6455
// section 10.3), which TLS already rules out. Over plain HTTP the keys stay random.
import type { Readable, Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';
import type { KubeConnection } from './config.ts';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const Channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, close: 255 } as const;
/** Bytes handed to the socket and not yet written, above which stdin waits. */
const HIGH_WATER = 1 << 20;
/** How often an open stream is pinged, at most (client-go's WebSocket executor pings every 5 s too). */
const PING_EVERY_MS = 5_000;

/** The API server answered the exec request with something else than a WebSocket. */
export class ExecRefusedError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`the API server answered the exec request with HTTP ${status}`);
    this.status = status;
  }
}

/** What ws says when handshakeTimeout passes before the server switched protocols. */
const HANDSHAKE_TIMED_OUT = 'Opening handshake has timed out';

/** The API server did not answer the exec request within --request-timeout; named as fetch names its timeouts. */
export class ExecHandshakeTimeout extends Error {
  override readonly name = 'TimeoutError';
  constructor(cause: Error) {
    super('the API server did not answer the exec request in time', { cause });
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
  /** Resolves when the WebSocket is closed, by either side, or by us after `silentMs` of silence. */
  readonly closed: Promise<void>;
  /** How long nothing came back when the stream was given up as silent; undefined if it was not. */
  readonly silentMs: () => number | undefined;
  close(): void;
}

function execUrl(server: string, namespace: string, target: ExecTarget): URL {
  const query = new URLSearchParams({ stdout: 'true', stderr: 'true', stdin: 'true', tty: 'false', container: target.container });
  for (const word of target.command) query.append('command', word);
  const url = new URL(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(target.pod)}/exec?${query.toString()}`, server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

/** Opens the WebSocket: resolves once the server switched protocols, rejects with its refusal. */
async function connect(connection: KubeConnection, target: ExecTarget): Promise<WebSocket> {
  const server = connection.config.getCurrentCluster()?.server;
  if (!server) throw new Error(`no cluster server in ${connection.description}`);
  const options: WebSocket.ClientOptions = {};
  await connection.config.applyToHTTPSOptions(options);
  const url = execUrl(server, connection.namespace, target);
  const socket = new WebSocket(url, PROTOCOLS, {
    ...options,
    perMessageDeflate: false,
    ...(url.protocol === 'wss:' ? { generateMask: (mask: Buffer) => void mask.fill(0) } : {}),
    // --request-timeout bounds the upgrade only: ws clears it once the socket is open, and a build
    // streams through that socket for as long as it runs.
    ...(connection.requestTimeoutMs > 0 ? { handshakeTimeout: Math.ceil(connection.requestTimeoutMs) } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (request, response) => {
      response.resume();
      request.destroy();
      reject(new ExecRefusedError(response.statusCode ?? 0));
    });
    const failed = (error: Error) => reject(error.message === HANDSHAKE_TIMED_OUT ? new ExecHandshakeTimeout(error) : error);
    socket.once('error', failed);
    socket.once('open', () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}

export async function openExecStream(connection: KubeConnection, target: ExecTarget, streams: ExecStreams): Promise<ExecStream> {
  const socket = await connect(connection, target);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const open = () => socket.readyState === WebSocket.OPEN;
  const silence = watchForSilence(socket, connection.requestTimeoutMs);

  // stdin: a message per chunk, its channel in front; paused while the socket holds too much.
  const { stdin } = streams;
  const flushed = () => {
    silence.alive();
    if (stdin.isPaused() && socket.bufferedAmount < HIGH_WATER / 2) stdin.resume();
  };
  stdin.on('data', (chunk: Buffer) => {
    if (!open()) return;
    socket.send(Buffer.concat([Buffer.of(Channel.stdin), chunk]), flushed);
    if (socket.bufferedAmount >= HIGH_WATER) stdin.pause();
  });
  stdin.on('end', () => {
    if (open() && socket.protocol === PROTOCOLS[0]) socket.send(Buffer.of(Channel.close, Channel.stdin));
  });

  // What the server sends: whole messages (ws joins fragments), the channel first.
  socket.on('message', (data: Buffer) => {
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === Channel.stdout && payload.length > 0 && !streams.stdout.write(payload)) {
      socket.pause();
      streams.stdout.once('drain', () => socket.resume());
    } else if (channel === Channel.stderr && payload.length > 0) streams.stderr(payload);
    else if (channel === Channel.status) streams.status(JSON.parse(payload.toString('utf8')) as V1Status);
  });
  // A socket error ends in 'close' too, which is what the tunnel acts on.
  socket.on('error', () => socket.terminate());
  socket.on('close', () => {
    silence.stop();
    streams.stdout.end();
  });

  return {
    closed,
    silentMs: () => silence.gaveUpAfterMs,
    close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close(1000);
      setTimeout(() => socket.terminate(), 1000).unref();
    },
  };
}

interface SilenceWatch {
  /** Something moved: a message, a pong, or one of our writes left (behind a large upload, a pong can queue for a while). */
  alive(): void;
  stop(): void;
  gaveUpAfterMs: number | undefined;
}

/**
 * A stream whose peer went silent (the API server or the network dropping packets after the exec
 * opened) would wait forever: TCP sends nothing on an idle connection and the build's gRPC channel
 * has no keepalive. So, as client-go's WebSocket executor does with its heartbeat, the socket is
 * pinged, and given up (terminated, which closes the stream) when nothing came back for `boundMs`
 * (--request-timeout; 0 = never): no message, no pong, and none of our writes leaving. A long quiet
 * build step is not silence: the API server answers the pings.
 */
function watchForSilence(socket: WebSocket, boundMs: number): SilenceWatch {
  let heard = Date.now();
  const alive = () => void (heard = Date.now());
  const watch: SilenceWatch = { gaveUpAfterMs: undefined, stop: () => {}, alive };
  if (!(boundMs > 0)) return watch;
  socket.on('message', alive);
  socket.on('pong', alive);
  const timer = setInterval(() => {
    const quietMs = Date.now() - heard;
    if (quietMs >= boundMs) {
      watch.gaveUpAfterMs = quietMs;
      socket.terminate();
    } else if (socket.readyState === WebSocket.OPEN) socket.ping();
  }, Math.max(10, Math.min(PING_EVERY_MS, boundMs / 4)));
  timer.unref();
  watch.stop = () => clearInterval(timer);
  return watch;
}
