// Carries the session's HTTP/2 connection between the Control.Session stream (BytesMessage chunks)
// and a real socket, on whose far end our grpc-js server listens. HTTP/2 over a native socket is
// Node's fast path; over a JavaScript Duplex every frame crosses between C++ and JS (10,000 STAT
// packets took ~0.8 s that way). The bridge moves whole socket reads, many frames each: read into
// one reused buffer and copied once, straight into the encoded BytesMessage (./encoded.ts).
import { connect, type Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { bytesMessage } from './encoded.ts';

/** Messages are objects as received, and an encoded BytesMessage (a Buffer) as sent. */
export type SessionCall = grpc.ClientDuplexStream<{ data: Buffer } | Buffer, { data: Buffer }>;

// As much as one read may take: bigger reads mean fewer, larger session messages.
const READ_BUFFER = 256 * 1024;

/**
 * Connects to the unix socket at `path` and pipes `call` and the socket into each other, with
 * backpressure both ways; ends each when the other ends. Resolves with the socket once connected.
 */
export async function bridge(call: SessionCall, path: string): Promise<Socket> {
  const socket: Socket = connect({
    path,
    onread: {
      buffer: Buffer.allocUnsafe(READ_BUFFER),
      // Returning false pauses the socket until the session stream drains.
      callback: (bytesRead: number, buffer: Uint8Array) => {
        if (call.write(bytesMessage(buffer.subarray(0, bytesRead)))) return true;
        call.once('drain', () => socket.resume());
        return false;
      },
    },
  });
  call.on('data', (message: { data: Buffer }) => {
    if (!socket.write(message.data)) {
      call.pause();
      socket.once('drain', () => call.resume());
    }
  });
  call.on('end', () => socket.end());
  // Our own cancel at the end of a build is the normal way the session closes.
  call.on('error', () => socket.destroy());
  socket.on('end', () => call.end());
  socket.on('error', () => call.cancel());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}
