// FileSend.DiffCopy: how the daemon hands results back for outputs that live on the client. The
// call's "buildkit-attachable-exporter-id" names the exporter (its index in the Solve request).
// A directory output receives an fsutil file tree (Packet messages, although the method is declared
// with BytesMessage); a file output receives raw bytes (a tar, an OCI or docker archive).
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '../../errors/index.ts';
import { receiveTree, type Packet, type PacketChannel } from '../fsutil/receive.ts';
import { buildkitProtocol } from '../proto.ts';
import type { SessionService } from './session.ts';

export type OutputTarget =
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stream'; readonly stream: Writable };

type RawCall = grpc.ServerDuplexStream<Buffer, Buffer>;

const identity = (buffer: Buffer) => buffer;

/** A bidirectional streaming method at `path` whose messages are raw bytes both ways (each side decodes as it needs). */
export function rawBytesStream(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

/** `targets[i]` receives what exporter i sends; exporters without a client-side output are undefined. */
export function fileSendService(targets: ReadonlyArray<OutputTarget | undefined>): SessionService {
  const protocol = buildkitProtocol();
  const packets = protocol.services.fileSync.DiffCopy as grpc.MethodDefinition<Packet, Packet>;
  const bytes = protocol.services.fileSend.DiffCopy as grpc.MethodDefinition<{ data: Buffer }, { data: Buffer }>;
  // Raw bytes both ways: each call decodes as its target needs.
  const definition: grpc.ServiceDefinition = { DiffCopy: rawBytesStream(bytes.path) };
  return {
    definition,
    implementation: {
      DiffCopy: (call: RawCall) => {
        const id = Number(call.metadata.get('buildkit-attachable-exporter-id')[0] ?? 0);
        const target = targets[id];
        const failed = (error: unknown) =>
          call.emit('error', { code: grpc.status.INTERNAL, details: errorMessage(error) });
        if (!target) {
          failed(new Error(`no output for exporter ${id}`));
          return;
        }
        if (target.kind === 'directory') {
          receiveTree(packetChannel(call, packets), target.path).then(() => call.end(), failed);
        } else {
          const out = target.kind === 'file' ? createWriteStream(target.path) : target.stream;
          call.on('data', (raw: Buffer) => {
            if (!out.write(bytes.requestDeserialize(raw).data)) {
              call.pause();
              out.once('drain', () => call.resume());
            }
          });
          call.on('end', () => {
            if (target.kind === 'file') out.end(() => call.end());
            else call.end();
          });
          call.on('error', () => undefined);
        }
      },
    },
  };
}

function packetChannel(call: RawCall, codec: grpc.MethodDefinition<Packet, Packet>): PacketChannel {
  const queue: Array<Packet | null> = [];
  let waiting: ((packet: Packet | null) => void) | undefined;
  const deliver = (packet: Packet | null) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(packet);
    } else queue.push(packet);
  };
  call.on('data', (raw: Buffer) => deliver(codec.requestDeserialize(raw)));
  call.on('end', () => deliver(null));
  call.on('error', () => deliver(null));
  return {
    send: (packet) => void call.write(codec.responseSerialize(packet)),
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift() as Packet | null) : new Promise((resolve) => (waiting = resolve))),
  };
}
