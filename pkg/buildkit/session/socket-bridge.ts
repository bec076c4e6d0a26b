// Carries the session's HTTP/2 connection between the Control.Session stream (BytesMessage chunks)
// and a real socket, on whose far end our grpc-js server listens. HTTP/2 over a native socket is
// Node's fast path; over a JavaScript Duplex every frame crosses between C++ and JS (10,000 STAT
// packets took ~0.8 s that way). The bridge moves whole socket reads, many frames each.
import type { Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';

type SessionCall = grpc.ClientDuplexStream<{ data: Buffer }, { data: Buffer }>;

/** Pipes `call` and `socket` into each other with backpressure both ways; ends each when the other ends. */
export function bridge(call: SessionCall, socket: Socket): void {
  call.on('data', (message: { data: Buffer }) => {
    if (!socket.write(message.data)) {
      call.pause();
      socket.once('drain', () => call.resume());
    }
  });
  socket.on('data', (data: Buffer) => {
    if (!call.write({ data })) {
      socket.pause();
      call.once('drain', () => socket.resume());
    }
  });
  call.on('end', () => socket.end());
  // Our own cancel at the end of a build is the normal way the session closes.
  call.on('error', () => socket.destroy());
  socket.on('end', () => call.end());
  socket.on('error', () => call.cancel());
}
