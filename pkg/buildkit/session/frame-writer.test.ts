import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameBatch } from './packet-frames.ts';
import { rawBytesStream } from './filesend.ts';
import { frameWriter, http2StreamOf } from './frame-writer.ts';

const identity = (buffer: Buffer) => buffer;
const method = rawBytesStream('/test.Frames/Stream');

/** Three frames in one buffer: the messages "a", "bb" and "ccc" (as ERR packets: any bytes would do). */
function threeFrames(): Buffer {
  const batch = new FrameBatch(8);
  for (const text of ['a', 'bb', 'ccc']) batch.addError(text);
  return batch.take();
}

const servers: grpc.Server[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.forceShutdown()));

/** A grpc-js server whose one method runs `handle`, and what a grpc-js client receives from it. */
async function received(handle: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => Promise<void>): Promise<Buffer[]> {
  const server = new grpc.Server();
  servers.push(server);
  server.addService({ Stream: method }, { Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => void handle(call) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Client = grpc.makeGenericClientConstructor({ Stream: method }, 'Frames');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(method.path, identity, identity) as grpc.ClientDuplexStream<Buffer, Buffer>;
  const messages: Buffer[] = [];
  call.on('data', (message: Buffer) => messages.push(message));
  await new Promise<void>((resolve, reject) => {
    call.on('status', (status: grpc.StatusObject) => (status.code === grpc.status.OK ? resolve() : reject(new Error(status.details))));
    call.on('error', reject);
  });
  client.close();
  return messages;
}

describe('frameWriter', () => {
  it('reaches the HTTP/2 stream of the grpc-js we ship: several frames in one write arrive as separate messages, in order', async () => {
    let reached = false;
    let released: Promise<void> | undefined;
    const messages = await received(async (call) => {
      reached = http2StreamOf(call) !== undefined;
      const writer = frameWriter(call);
      released = new Promise<void>((resolve) => void writer.write(threeFrames(), resolve));
      await writer.write(threeFrames());
      call.end();
    });
    expect(reached).toBe(true);
    await released;
    const texts = messages.map((message) => message.subarray(4).toString());
    expect(texts).toEqual(['a', 'bb', 'ccc', 'a', 'bb', 'ccc']);
  });

  it('without a stream it can reach, writes each frame as a message through the call', async () => {
    const written: Buffer[] = [];
    const call = Object.assign(new EventEmitter(), {
      write: (message: Buffer, callback?: () => void) => {
        written.push(message);
        callback?.();
        return true;
      },
    }) as unknown as grpc.ServerDuplexStream<unknown, Buffer>;
    let released = 0;
    await frameWriter(call).write(threeFrames(), () => released++);
    expect(written.map((message) => message.subarray(4).toString())).toEqual(['a', 'bb', 'ccc']);
    expect(released).toBe(1);
  });
});
