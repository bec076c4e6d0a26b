// Reaching buildkitd inside a builder pod without exposing it: a private unix socket here, and for
// each connection gRPC opens on it, `buildctl dial-stdio` run in the pod through the API server's
// pods/exec (a WebSocket), its stdin and stdout carrying the connection's bytes both ways. Needs
// only what `kubectl exec` needs (RBAC: create pods/exec), works through any API server proxy, and
// puts no Service or port on the network.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import { parseBuilderAddress, type BuilderAddress } from '../buildkit/address.ts';
import { KubectlBuildError, errorMessage } from '../errors/index.ts';
import { BUILDKITD_SOCKET, CONTAINER_NAME } from './builder-spec.ts';
import type { KubeConnection } from './config.ts';
import { ExecRefusedError, openExecStream } from './exec-stream.ts';
import { dialStdioFailure } from './tunnel-failure.ts';
import { requestTimeoutError } from './errors.ts';
import { isRequestTimeout, timeoutWords } from './request-timeout.ts';

export interface BuilderTunnel {
  /** What the gRPC client dials: unix://<private folder>/buildkitd.sock. */
  readonly address: BuilderAddress;
  /**
   * Rejects, with the reason in one sentence, when the pod cannot be reached (RBAC refuses
   * pods/exec, the pod is gone, buildctl is missing) or the connection is lost while in use: gRPC
   * alone would only see a closed socket.
   */
  readonly failure: Promise<never>;
  close(): Promise<void>;
}

export interface TunnelOptions {
  readonly pod: string;
  /** For messages: 'builder "buildkit"'. */
  readonly builder: string;
}

/** What the WebSocket library rejected with: an Error, or an ErrorEvent whose message says it. */
function socketErrorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') return error.message;
  return errorMessage(error);
}

/** The HTTP status the API server refused the exec handshake with. */
function handshakeStatus(error: unknown): number | undefined {
  return error instanceof ExecRefusedError ? error.status : undefined;
}

function execFailure(error: unknown, connection: KubeConnection, options: TunnelOptions): KubectlBuildError {
  if (isRequestTimeout(error)) return requestTimeoutError(error, connection, `open a connection to the pod ${options.pod} of ${options.builder}`);
  const status = handshakeStatus(error);
  const where = connection.description;
  if (status === 403) {
    return new KubectlBuildError('FORBIDDEN', `you are not allowed to create pods/exec in ${where}, which kubectl build needs to reach ${options.builder}`, {
      hint: 'ask your cluster admin for a Role that allows "create" on "pods/exec" in that namespace',
      cause: error,
    });
  }
  if (status === 401) {
    return new KubectlBuildError('UNAUTHENTICATED', `the Kubernetes API did not accept your credentials (${where})`, { hint: 'log in again or refresh your kubeconfig', cause: error });
  }
  if (status === 404) {
    return new KubectlBuildError('UNAVAILABLE', `the pod ${options.pod} of ${options.builder} is gone (${where})`, {
      hint: 'run the build again: another pod of the builder will be used',
      cause: error,
    });
  }
  if (status !== undefined && status >= 500) {
    return new KubectlBuildError('UNAVAILABLE', `the Kubernetes API failed the exec request to the pod ${options.pod} of ${options.builder} (HTTP ${status}, ${where})`, {
      hint: 'try again in a moment; if it goes on, check the API server and the node of the pod (kubectl buildkit ls shows the builder)',
      cause: error,
    });
  }
  return new KubectlBuildError('UNAVAILABLE', `cannot open a connection to the pod ${options.pod} of ${options.builder} (${where}): ${socketErrorMessage(error)}`, {
    hint: 'check the builder with kubectl buildkit ls',
    cause: error,
  });
}

export async function openBuilderTunnel(connection: KubeConnection, options: TunnelOptions): Promise<BuilderTunnel> {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-build-tunnel-'));
  const socketPath = join(dir, 'buildkitd.sock');
  const sockets = new Set<Socket>();
  let closing = false;
  let fail: (error: KubectlBuildError) => void = () => {};
  let markOpened: () => void = () => {};
  const opened = new Promise<void>((resolve) => (markOpened = resolve));
  const failure = new Promise<never>((_, reject) => {
    fail = reject;
  });
  // Nobody may be awaiting it yet: no unhandled rejection.
  failure.catch(() => {});

  const server: Server = createServer((socket) => {
    const stderr: Buffer[] = [];
    // gRPC closed this connection (or we did): the pod's side ending afterwards is no failure.
    let ended = false;
    sockets.add(socket);
    socket.on('close', () => {
      ended = true;
      sockets.delete(socket);
    });
    // gRPC may close its side while the pod still sends; that ends here, not as a crash.
    socket.on('error', () => socket.destroy());
    // The daemon answered through this connection: an end now is the daemon lost, not a setup failure.
    let carried = false;
    // The pod's stdout to gRPC; a socket gRPC already closed takes nothing more.
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        carried = true;
        if (socket.destroyed || !socket.writable) return callback();
        socket.write(chunk, () => callback());
      },
    });
    const onStatus = (status: V1Status) => {
      if (status.status === 'Success' || closing || ended) return;
      const said = Buffer.concat(stderr).toString('utf8').trim().split('\n').pop();
      fail(dialStdioFailure({ pod: options.pod, builder: options.builder, said, status, carried }));
    };
    openExecStream(connection, { pod: options.pod, container: CONTAINER_NAME, command: ['buildctl', `--addr=${BUILDKITD_SOCKET}`, 'dial-stdio'] }, {
      stdin: socket,
      stdout,
      stderr: (chunk) => stderr.push(chunk),
      status: onStatus,
    })
      .then((stream) => {
        markOpened();
        void stream.closed.then(() => {
          // The pod's side ended first: the pod went away or its daemon stopped.
          if (!ended && !closing) {
            const silent = stream.silentMs() !== undefined;
            fail(
              !silent
                ? new KubectlBuildError('UNAVAILABLE', `lost the connection to the pod ${options.pod} of ${options.builder} (${connection.description})`, {
                    hint: 'the pod was deleted or restarted; run the build again (kubectl buildkit ls shows the builder)',
                  })
                : new KubectlBuildError('UNAVAILABLE', `lost the connection to the pod ${options.pod} of ${options.builder} (${connection.description}): nothing came back through the Kubernetes API for ${timeoutWords(connection.requestTimeoutMs)}`, {
                    hint: 'check the API server and the network to it, then run the build again (--request-timeout sets how long a silent connection is waited for)',
                  }),
            );
          }
          socket.destroy();
        });
        socket.on('close', () => stream.close());
      })
      .catch((error: unknown) => {
        if (!closing) fail(execFailure(error, connection, options));
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    address: { ...parseBuilderAddress(`unix://${socketPath}`), display: `${options.builder} (pod ${options.pod}, ${connection.description})`, opened },
    failure,
    async close() {
      closing = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
