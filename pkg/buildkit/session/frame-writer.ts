// Writes a server call's gRPC frames straight to its HTTP/2 stream, many to a write. Through
// grpc-js each message is copied into a new framed buffer and written on its own, with a write
// request and a completion callback each: for the 10,000 STAT packets of a context that was most of
// what the upload cost us beyond the walk, and for a large file one more copy of every byte. The
// stream is grpc-js's own (the call's `call.stream`, not in its typed API: @grpc/grpc-js is pinned
// in package-lock.json, and frame-writer.test.ts fails if a version hides it); where it cannot be
// reached, the frames go through grpc-js one message at a time, as before.
import type { ServerHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { GRPC_PREFIX } from './encoded.ts';

export interface FrameWriter {
  /**
   * Writes whole gRPC frames, in order with everything written before; `written` runs once the
   * stream no longer needs `frames`. Resolves when more may be written (backpressure).
   */
  write(frames: Buffer, written?: () => void): Promise<void>;
}

/** The HTTP/2 stream under a grpc-js server call, or undefined when this grpc-js hides it. */
export function http2StreamOf(call: grpc.ServerDuplexStream<unknown, unknown>): ServerHttp2Stream | undefined {
  const stream = (call as unknown as { call?: { stream?: Partial<ServerHttp2Stream> } }).call?.stream;
  const looksRight = typeof stream?.write === 'function' && typeof stream.respond === 'function' && typeof stream.once === 'function';
  return looksRight ? (stream as ServerHttp2Stream) : undefined;
}

/** Calls given Buffers write them as they are (../proto.ts: already-encoded messages). */
export function frameWriter(call: grpc.ServerDuplexStream<unknown, Buffer>): FrameWriter {
  const stream = http2StreamOf(call);
  return stream ? streamWriter(call, stream) : messageWriter(call);
}

function streamWriter(call: grpc.ServerDuplexStream<unknown, Buffer>, stream: ServerHttp2Stream): FrameWriter {
  // The response headers, which grpc-js would send before its first message.
  call.sendMetadata(new grpc.Metadata());
  return {
    write: (frames, written) => {
      if (stream.destroyed) return Promise.reject(new Error('the daemon closed the file transfer'));
      if (stream.write(frames, () => written?.())) return Promise.resolve();
      return drained(stream);
    },
  };
}

function messageWriter(call: grpc.ServerDuplexStream<unknown, Buffer>): FrameWriter {
  return {
    write: (frames, written) => {
      let more = true;
      for (let offset = 0; offset < frames.length; ) {
        const end = offset + GRPC_PREFIX + frames.readUInt32BE(offset + 1);
        const last = end >= frames.length;
        more = call.write(frames.subarray(offset + GRPC_PREFIX, end), last ? () => written?.() : undefined);
        offset = end;
      }
      return more ? Promise.resolve() : drained(call);
    },
  };
}

/** Resolves when `stream` may take more, or is closed (a later write then fails). */
function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
