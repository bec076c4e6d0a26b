// A typed client of BuildKit's Control service over @grpc/grpc-js.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { KubectlBuildError } from '../errors/index.ts';
import type { BuilderAddress } from './address.ts';
import { buildkitProtocol } from './proto.ts';
import type { BuildkitVersion, Platform, SolveRequest, StatusResponse, WorkerRecord } from './types.ts';

export interface TlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

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

  /** Resolves once connected; a clear UNAVAILABLE error when the daemon does not answer in time. */
  async waitUntilReady(timeoutMs = 10_000): Promise<void> {
    await this.#guard(new Promise<void>((resolve, reject) => {
      this.#client.waitForReady(Date.now() + timeoutMs, (error) => {
        if (!error) return resolve();
        reject(
          new KubectlBuildError('UNAVAILABLE', `cannot reach the BuildKit daemon at ${this.address.display} within ${timeoutMs / 1000}s`, {
            hint: 'check that buildkitd is running there (for the local stack: hack/local-stack status), or pass --builder-addr',
            cause: error,
          }),
        );
      });
    }));
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
