// A typed client of BuildKit's Control service over @grpc/grpc-js.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { KubectlBuildError } from '../errors/index.ts';
import { describeDialFailure, type BuilderAddress } from './address.ts';
import { buildkitProtocol } from './proto.ts';
import type { BuildkitVersion, Platform, SolveRequest, StatusResponse, WorkerRecord } from './types.ts';

export interface TlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** How long a connection to the daemon may take before it is reported (--connect-timeout). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

// The daemon sends big status and log batches; it accepts 16 MiB messages itself.
const MESSAGE_LIMIT = 64 * 1024 * 1024;

type Unary<Req, Res> = (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: Res) => void) => grpc.ClientUnaryCall;

interface RawControl extends grpc.Client {
  Solve: Unary<SolveRequest, { ExporterResponse: Record<string, string> }>;
  ListWorkers: Unary<{ filter: string[] }, { record: WorkerRecord[] }>;
  Info: Unary<Record<string, never>, { buildkitVersion: BuildkitVersion }>;
  Status: (request: { Ref: string }, options?: grpc.CallOptions) => grpc.ClientReadableStream<StatusResponse>;
  Session: (metadata: grpc.Metadata, options?: grpc.CallOptions) => grpc.ClientDuplexStream<{ data: Buffer }, { data: Buffer }>;
}

/** "linux/arm/v7": a platform as users and --platform write it. */
export function formatPlatform(platform: Platform): string {
  return [platform.OS, platform.Architecture, platform.Variant].filter(Boolean).join('/');
}

export class ControlClient {
  readonly address: BuilderAddress;
  readonly #client: RawControl;
  readonly #transportFailure: Promise<never> | undefined;

  /**
   * `transportFailure` rejects when the way to the daemon breaks for a reason gRPC cannot see (a
   * pods/exec tunnel refused by RBAC, its pod deleted): every call then fails at once with it.
   */
  constructor(address: BuilderAddress, tls: TlsFiles = {}, transportFailure?: Promise<never>) {
    this.address = address;
    this.#transportFailure = transportFailure;
    const { Control } = buildkitProtocol();
    const useTls = address.transport === 'tcp' && (tls.ca !== undefined || tls.cert !== undefined);
    const credentials = useTls
      ? grpc.credentials.createSsl(
          tls.ca ? readFileSync(tls.ca) : null,
          tls.key ? readFileSync(tls.key) : null,
          tls.cert ? readFileSync(tls.cert) : null,
        )
      : grpc.credentials.createInsecure();
    this.#client = new Control(address.target, credentials, {
      'grpc.max_receive_message_length': MESSAGE_LIMIT,
      'grpc.max_send_message_length': MESSAGE_LIMIT,
    }) as unknown as RawControl;
  }

  #guard<T>(work: Promise<T>): Promise<T> {
    return this.#transportFailure ? Promise.race([work, this.#transportFailure]) : work;
  }

  /**
   * Resolves once connected. A direct address where nothing listens (a refused port, a missing
   * socket) fails at once, as buildctl does, instead of retrying until the timeout; one that does not
   * answer at all fails after `timeoutMs` (--connect-timeout). Through a cluster tunnel the tunnel
   * reports its own failures (`transportFailure`), so only the timeout applies there, counted from
   * the tunnel's opening (`address.opened`).
   */
  async waitUntilReady(timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<void> {
    if (this.address.opened) {
      // gRPC dialling the tunnel's socket is what opens the tunnel: dial, then time the daemon's
      // part only (on a slow API server the exec upgrade alone can take longer than the timeout).
      this.#client.getChannel().getConnectivityState(true);
      await this.#guard(this.address.opened);
    }
    const deadline = Date.now() + timeoutMs;
    await this.#guard(new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: KubectlBuildError) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      this.#client.waitForReady(deadline, (error) => settle(error ? this.#unanswered(timeoutMs, error) : undefined));
      if (this.#transportFailure) return;
      const channel = this.#client.getChannel();
      const watch = (state: grpc.connectivityState) => {
        if (state === grpc.connectivityState.TRANSIENT_FAILURE) {
          void describeDialFailure(this.address).then((reason) => settle(this.#refused(reason)));
          return;
        }
        if (settled || state === grpc.connectivityState.READY) return;
        channel.watchConnectivityState(state, deadline, (error) => {
          if (!error) watch(channel.getConnectivityState(false));
        });
      };
      watch(channel.getConnectivityState(true));
    }));
  }

  #refused(reason: string): KubectlBuildError {
    return new KubectlBuildError('UNAVAILABLE', `cannot reach the BuildKit daemon at ${this.address.display}: ${reason}`, {
      hint: 'start buildkitd there (for the local stack: hack/local-stack status), or pass the right --builder-addr',
    });
  }

  #unanswered(timeoutMs: number, cause: Error): KubectlBuildError {
    return new KubectlBuildError('UNAVAILABLE', `cannot reach the BuildKit daemon at ${this.address.display} within ${timeoutMs / 1000}s`, {
      hint: 'check that buildkitd is running there and the network lets you through (for the local stack: hack/local-stack status), or raise --connect-timeout',
      cause,
    });
  }

  solve(request: SolveRequest, signal?: AbortSignal): Promise<Record<string, string>> {
    return this.#guard(new Promise((resolve, reject) => {
      const call = this.#client.Solve(request, new grpc.Metadata(), {}, (error, response) => {
        signal?.removeEventListener('abort', cancel);
        if (error) reject(error);
        else resolve(response.ExporterResponse);
      });
      const cancel = () => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    }));
  }

  status(ref: string): grpc.ClientReadableStream<StatusResponse> {
    return this.#client.Status({ Ref: ref });
  }

  session(metadata: grpc.Metadata): grpc.ClientDuplexStream<{ data: Buffer }, { data: Buffer }> {
    return this.#client.Session(metadata);
  }

  listWorkers(): Promise<WorkerRecord[]> {
    return this.#guard(new Promise((resolve, reject) => {
      this.#client.ListWorkers({ filter: [] }, new grpc.Metadata(), {}, (error, response) =>
        error ? reject(error) : resolve(response.record),
      );
    }));
  }

  info(): Promise<BuildkitVersion> {
    return this.#guard(new Promise((resolve, reject) => {
      this.#client.Info({}, new grpc.Metadata(), {}, (error, response) =>
        error ? reject(error) : resolve(response.buildkitVersion),
      );
    }));
  }

  close(): void {
    this.#client.close();
  }
}
