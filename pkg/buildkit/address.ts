// Builder addresses as buildctl and BUILDKIT_HOST write them: unix:///path/to/buildkitd.sock or
// tcp://host:port (optionally with mutual TLS).
import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { KubectlBuildError } from '../errors/index.ts';

export interface BuilderAddress {
  /** The address as the user gave it, for messages. */
  readonly display: string;
  /** What grpc-js dials. */
  readonly target: string;
  readonly transport: 'unix' | 'tcp';
  /**
   * A tunnel's socket (a builder pod reached through pods/exec): resolves once the tunnel's way to
   * the daemon is open. Opening it is the API server's part, bounded by --request-timeout; the
   * connect timeout bounds the daemon's part, from then on.
   */
  readonly opened?: Promise<void>;
}

export function parseBuilderAddress(address: string): BuilderAddress {
  const invalid = () =>
    new KubectlBuildError('USAGE', `invalid builder address "${address}"`, {
      hint: 'use unix:///path/to/buildkitd.sock or tcp://host:port',
    });
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalid();
    return { display: address, target: `unix://${path}`, transport: 'unix' };
  }
  if (address.startsWith('tcp://')) {
    const hostPort = address.slice('tcp://'.length).replace(/\/$/, '');
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(hostPort)) throw invalid();
    return { display: address, target: hostPort, transport: 'tcp' };
  }
  throw invalid();
}

// Why a direct address could not be dialled, in words a user can act on. Asked only once gRPC has
// given up on a connection attempt (a refused port, a missing socket: it would retry quietly until the
// connect timeout), so the extra look costs nothing when the daemon is there.
const DIAL_PROBE_MS = 500;

export async function describeDialFailure(address: BuilderAddress): Promise<string> {
  if (address.transport === 'unix') {
    const path = address.target.slice('unix://'.length);
    const kind = await stat(path).then((info) => (info.isSocket() ? 'socket' : 'other'), (error: NodeJS.ErrnoException) => error.code ?? 'error');
    if (kind === 'ENOENT') return 'the socket does not exist';
    if (kind === 'other') return 'the path is not a socket';
    if (kind === 'EACCES') return 'permission denied on the socket';
  }
  const code = await dialProbe(address);
  switch (code) {
    case 'ECONNREFUSED':
      return 'nothing listens there (connection refused)';
    case 'ENOENT':
      return 'the socket does not exist';
    case 'EACCES':
      return 'permission denied on the socket';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host is unreachable';
    case 'connected':
      return 'it accepts connections but closes them before gRPC is set up (a TLS mismatch, not a BuildKit daemon, or something in between cutting them)';
    default:
      return `the connection failed (${code})`;
  }
}

/** One raw connection attempt: its error code, "connected", or "timeout". */
function dialProbe(address: BuilderAddress): Promise<string> {
  return new Promise((resolve) => {
    const socket =
      address.transport === 'unix'
        ? connect({ path: address.target.slice('unix://'.length) })
        : connect({ host: hostOf(address.target), port: Number(address.target.slice(address.target.lastIndexOf(':') + 1)) });
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(DIAL_PROBE_MS, () => done('timeout'));
    socket.once('connect', () => done('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

function hostOf(hostPort: string): string {
  const host = hostPort.slice(0, hostPort.lastIndexOf(':'));
  return host.startsWith('[') ? host.slice(1, -1) : host;
}
