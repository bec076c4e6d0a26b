// A BuildKit session: the daemon calls back into the client over Control.Session for the build
// context, registry credentials, secrets and SSH. We open the stream, run a grpc-js server on it,
// and announce every method we serve in the stream's metadata (the daemon calls nothing else).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ControlClient } from '../control.ts';
import { buildkitProtocol } from '../proto.ts';
import { bridge, type SessionCall } from './socket-bridge.ts';

export interface SessionService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

export interface SessionOptions {
  /** Shown in the daemon's logs and history. */
  readonly name: string;
  /** Stable per context directory: it keys the daemon's incremental context cache. */
  readonly sharedKey: string;
  readonly services: readonly SessionService[];
}

// The daemon's own message limit; file chunks and status batches stay well below it.
const MESSAGE_LIMIT = 16 * 1024 * 1024;

export class Session {
  readonly id = randomUUID();
  readonly #options: SessionOptions;
  readonly #server: grpc.Server;
  #call: SessionCall | undefined;
  #socket: Socket | undefined;
  #socketDir: string | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': MESSAGE_LIMIT,
      'grpc.max_send_message_length': MESSAGE_LIMIT,
    });
    this.#server.addService(buildkitProtocol().services.health, {
      // Required: the daemon checks every few seconds and drops the session after two failures.
      Check: (_call: unknown, callback: grpc.sendUnaryData<{ status: string }>) => callback(null, { status: 'SERVING' }),
    });
    for (const service of options.services) this.#server.addService(service.definition, service.implementation);
  }

  /**
   * Opens the session stream on `control`; call it before (or together with) Solve. Our server
   * listens on a unix socket in a private folder, and the stream is bridged to a connection to it.
   */
  async attach(control: ControlClient): Promise<void> {
    this.#socketDir = mkdtempSync(join(tmpdir(), 'kubectl-build-session-'));
    const path = join(this.#socketDir, 'session.sock');
    await new Promise<void>((resolve, reject) =>
      this.#server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
    );

    const metadata = new grpc.Metadata();
    metadata.set('x-docker-expose-session-uuid', this.id);
    metadata.set('x-docker-expose-session-name', this.#options.name);
    metadata.set('x-docker-expose-session-sharedkey', this.#options.sharedKey);
    const definitions = [buildkitProtocol().services.health, ...this.#options.services.map((s) => s.definition)];
    for (const definition of definitions) {
      // One header field per method: grpc-js sends each added value as its own field.
      for (const method of Object.values(definition)) metadata.add('x-docker-expose-session-grpc-method', method.path);
    }
    // Control.Session takes a BytesMessage already encoded, too (passEncodedMessages in ../proto.ts).
    const call = control.session(metadata) as unknown as SessionCall;
    this.#call = call;
    this.#socket = await bridge(call, path);
  }

  /** Ends the session: the daemon's calls into it stop. */
  close(): void {
    this.#call?.cancel();
    this.#socket?.destroy();
    this.#server.forceShutdown();
    if (this.#socketDir) rmSync(this.#socketDir, { recursive: true, force: true });
  }
}
