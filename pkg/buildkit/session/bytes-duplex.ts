// The Control.Session stream carries a raw HTTP/2 connection cut into BytesMessage chunks. This
// Duplex turns the gRPC call back into a byte stream, so that a grpc-js server can run on it.
import { Duplex } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';

type SessionCall = grpc.ClientDuplexStream<{ data: Buffer }, { data: Buffer }>;

export class BytesMessageDuplex extends Duplex {
  readonly #call: SessionCall;

  constructor(call: SessionCall) {
    super();
    this.#call = call;
    call.on('data', (message: { data: Buffer }) => {
      // Backpressure: stop reading from the daemon while our side is full.
      if (!this.push(message.data)) call.pause();
    });
    call.on('end', () => this.push(null));
    call.on('error', (error: grpc.ServiceError) => {
      // Our own cancel at the end of a build is the normal way the session closes.
      if (error.code === 1 /* CANCELLED */) this.push(null);
      else this.destroy(error);
    });
  }

  override _read(): void {
    this.#call.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#call.write({ data: chunk })) callback();
    else this.#call.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#call.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#call.cancel();
    callback(error);
  }
}
