// Builder addresses as buildctl and BUILDKIT_HOST write them: unix:///path/to/buildkitd.sock or
// tcp://host:port (optionally with mutual TLS).
import { KubectlBuildError } from '../errors/index.ts';

export interface BuilderAddress {
  /** The address as the user gave it, for messages. */
  readonly display: string;
  /** What grpc-js dials. */
  readonly target: string;
  readonly transport: 'unix' | 'tcp';
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
