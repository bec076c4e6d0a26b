// FileSync.DiffCopy driven the way the daemon drives it, through a grpc-js client: the listing,
// then requests for files by index, answered with their bytes and an empty DATA packet each.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { buildkitProtocol } from '../proto.ts';
import { fileSyncService, type TransferCounters } from './filesync.ts';

interface Packet {
  type: string;
  stat: { path: string; size: string } | null;
  ID: number;
  data: Buffer;
}

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** Serves `dir` as "context" and opens DiffCopy on it as the daemon does. */
async function diffCopy(dir: string, counters: TransferCounters) {
  const server = new grpc.Server();
  const service = fileSyncService({ context: dir }, counters);
  server.addService(service.definition, service.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Client = grpc.makeGenericClientConstructor(buildkitProtocol().services.fileSync, 'FileSync');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    DiffCopy(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, Packet>;
  };
  cleanups.push(() => {
    client.close();
    server.forceShutdown();
  });
  const metadata = new grpc.Metadata();
  metadata.set('dir-name', 'context');
  const call = client.DiffCopy(metadata);
  const received: Packet[] = [];
  let waiting: (() => void) | undefined;
  call.on('data', (packet: Packet) => {
    received.push(packet);
    waiting?.();
  });
  const ended = new Promise<void>((resolve) => call.on('status', () => resolve()));
  /** The next packet the service sends. */
  const next = async (): Promise<Packet> => {
    while (received.length === 0) await new Promise<void>((resolve) => (waiting = resolve));
    return received.shift() as Packet;
  };
  return { call, next, ended };
}

describe('FileSync.DiffCopy', () => {
  it('lists the context, then sends each requested file whole, also one that grew past the small-file size since the listing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-filesync-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const contents: Record<string, Buffer> = {
      'a.txt': Buffer.from('0123456789'),
      'big.bin': Buffer.alloc(300_000, 0x42),
      'empty': Buffer.alloc(0),
      'grows.bin': Buffer.from('small for now'),
    };
    for (const [name, bytes] of Object.entries(contents)) writeFileSync(join(dir, name), bytes);
    const counters: TransferCounters = {};
    const { call, next, ended } = await diffCopy(dir, counters);

    const ids: Record<string, number> = {};
    for (let packet = await next(); packet.stat !== null; packet = await next()) {
      expect(packet.type).toBe('PACKET_STAT');
      ids[packet.stat.path] = Object.keys(ids).length;
    }
    expect(Object.keys(ids)).toEqual(['a.txt', 'big.bin', 'empty', 'grows.bin']);

    contents['grows.bin'] = Buffer.alloc(100_000, 0x67);
    writeFileSync(join(dir, 'grows.bin'), contents['grows.bin']);
    for (const id of Object.values(ids)) call.write({ type: 'PACKET_REQ', ID: id });

    const chunks = new Map<number, Buffer[]>();
    for (let done = 0; done < Object.keys(ids).length; ) {
      const packet = await next();
      expect(packet.type).toBe('PACKET_DATA');
      if (packet.data.length === 0) done++;
      else chunks.set(packet.ID, [...(chunks.get(packet.ID) ?? []), packet.data]);
    }
    for (const [name, id] of Object.entries(ids)) expect(Buffer.concat(chunks.get(id) ?? [])).toEqual(contents[name]);

    call.write({ type: 'PACKET_FIN' });
    expect((await next()).type).toBe('PACKET_FIN');
    call.end();
    await ended;
    const bytes = Object.values(contents).reduce((sum, content) => sum + content.length, 0);
    expect(counters.context).toEqual({ statsSent: 4, filesSent: 4, bytesSent: bytes });
  });
});
