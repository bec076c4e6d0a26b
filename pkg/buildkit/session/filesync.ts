// FileSync.DiffCopy: how the daemon reads the build context and the Dockerfile from us. We send a
// STAT per entry (walkContext's order), then each regular file's bytes when the daemon asks for
// them by index (REQ), in chunks, streamed from disk. The daemon only asks for files it lacks, so a
// rebuild of an unchanged context sends no file contents at all. Owners go as 0:0, as BuildKit's own
// client sends them (its prepareSyncedFiles resets uid and gid), so that buildctl, buildx and we
// give the same layers from the same context.
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '../../errors/index.ts';
import { buildkitProtocol } from '../proto.ts';
import { contextWalk } from '../fsutil/walk.ts';
import type { WireStat } from '../fsutil/stat.ts';
import { DATA_HEADER_ROOM, dataFrame, dataPacketBuffer } from './encoded.ts';
import { frameWriter } from './frame-writer.ts';
import { FrameBatch } from './packet-frames.ts';
import type { SessionService } from './session.ts';

/** The local directories a build may read, by the name the frontend asks for ("context", "dockerfile"). */
export type SyncedDirs = Readonly<Record<string, string>>;

/** What was sent from one directory, for --debug and the incremental-upload tests. */
export interface DirTransfer {
  statsSent: number;
  filesSent: number;
  bytesSent: number;
}

/**
 * Per directory name ("context", "dockerfile"). The Dockerfile is read again in full on every build
 * (the frontend asks for it without diffing), while the context only sends what changed.
 */
export type TransferCounters = Record<string, DirTransfer>;

interface Packet {
  type: 'PACKET_STAT' | 'PACKET_REQ' | 'PACKET_DATA' | 'PACKET_FIN' | 'PACKET_ERR';
  stat?: WireStat | null;
  ID?: number;
  data?: Buffer;
}

type DiffCopyCall = grpc.ServerDuplexStream<Packet, Buffer>;

// 32 KiB, as fsutil sends them. The daemon accepts any size up to 16 MiB, and bigger chunks cost
// us less CPU, but it is slower to take them: 5 files of 200 MB took it 20 s in 64 or 256 KiB
// chunks and 8-10 s in 32 KiB ones (buildctl: 6-10 s), the time going in its COPY after the
// transfer; a single such file showed no difference (bench/context-upload.ts, bench/profile.ts).
const CHUNK_SIZE = 32 * 1024;
// Files up to this size are read synchronously (a thread-pool round trip costs more than the read)
// as they are asked for, each into one DATA packet and the empty one that ends it, in one batch
// with the other small files asked for meanwhile (a promise chain, two writes and two buffers per
// file were most of our CPU time in a cold upload of 10,000 small files).
const SMALL_FILE = 64 * 1024;
const PARALLEL_FILES = 4;
const READ_CHUNKS = 8;
// STAT packets and small files go out in batches of about this many bytes (some 500 STAT
// packets), one stream write each.
const BATCH = 32 * 1024;

export function fileSyncService(dirs: SyncedDirs, counters: TransferCounters): SessionService {
  return {
    definition: buildkitProtocol().services.fileSync,
    implementation: {
      DiffCopy: (call: DiffCopyCall) => void diffCopy(call, dirs, counters),
      TarStream: (call: DiffCopyCall) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'use DiffCopy' }),
    },
  };
}

/**
 * Metadata values, URL-decoded when the daemon marked them `<key>-encoded: 1`. The daemon sends one
 * header field per value; Node's HTTP/2 layer joins repeated fields with ", ", which we undo. (The
 * daemon URL-escapes only non-ASCII values, so an ASCII pattern that itself holds ", " would be
 * split too: a known limit of HTTP/2 header joining.)
 */
export function metadataValues(metadata: grpc.Metadata, key: string): string[] {
  const values = metadata
    .get(key)
    .map(String)
    .flatMap((value) => value.split(', '))
    .filter((value) => value !== '');
  const encoded = metadata.get(`${key}-encoded`).map(String)[0];
  return encoded === '1' || encoded === 'true' ? values.map((value) => decodeURIComponent(value.replaceAll('+', ' '))) : values;
}

async function diffCopy(call: DiffCopyCall, dirs: SyncedDirs, counters: TransferCounters): Promise<void> {
  const dirName = metadataValues(call.metadata, 'dir-name')[0] ?? '';
  const root = dirs[dirName];
  if (root === undefined) {
    call.emit('error', { code: grpc.status.NOT_FOUND, details: `no access allowed to dir "${dirName}"` });
    return;
  }

  const counted: DirTransfer = (counters[dirName] ??= { statsSent: 0, filesSent: 0, bytesSent: 0 });
  // Every packet goes as encoded gRPC frames (./encoded.ts, ./packet-frames.ts); `written` runs
  // once the stream is done with the buffer.
  const writer = frameWriter(call);
  const send = (frames: Buffer, written?: () => void) => writer.write(frames, written);
  const sendOne = (add: (batch: FrameBatch) => void) => {
    const batch = new FrameBatch(64);
    add(batch);
    return send(batch.take());
  };
  const buffers = new ChunkBuffers();
  // By ID: the path to read (null for a socket: sent as an empty file, as fsutil does) and the size the walk saw.
  const filesById = new Map<number, FileToSend>();
  const queue: number[] = [];
  let active = 0;
  let failed = false;
  const small = { batch: new FrameBatch(BATCH + SMALL_FILE + 64), scratch: Buffer.allocUnsafe(SMALL_FILE + 1), scheduled: false, draining: false };

  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    sendOne((batch) => batch.addError(errorMessage(error))).then(() => call.end(), () => call.end());
  };

  // Small files' batch: written once full, or once the requests that came in together are answered.
  const flushSmall = () => {
    small.scheduled = false;
    if (failed || small.batch.bytes === 0) return;
    small.draining = true;
    send(small.batch.take()).then(() => {
      small.draining = false;
      pump();
    }, fail);
  };

  // Adds a small file to the batch; false when it is not small (or has grown past SMALL_FILE since the walk).
  const sendSmall = (id: number, { path, size }: FileToSend): boolean => {
    if (path !== null) {
      if (size > SMALL_FILE) return false;
      const length = readWhole(path, small.scratch);
      if (length > SMALL_FILE) return false;
      if (length > 0) small.batch.addData(id, small.scratch, length);
      counted.bytesSent += length;
    }
    small.batch.addData(id, small.scratch, 0);
    counted.filesSent++;
    if (small.batch.bytes >= BATCH) flushSmall();
    else if (!small.scheduled) {
      small.scheduled = true;
      setImmediate(flushSmall);
    }
    return true;
  };

  const sendFile = async (id: number, { path }: FileToSend) => {
    // A socket has nothing to read.
    if (path !== null) {
      for await (const packet of dataPackets(path, id, buffers)) {
        await send(packet.frame, packet.release);
        counted.bytesSent += packet.length;
      }
    }
    // A DATA packet without data: the end of the file.
    await send(dataFrame(dataPacketBuffer(0), id, 0));
    counted.filesSent++;
  };

  const pump = () => {
    try {
      while (!failed && !small.draining && queue.length > 0) {
        const id = queue[0] as number;
        const file = filesById.get(id);
        if (file === undefined) throw new Error(`the daemon asked for unknown file #${id}`);
        if (!sendSmall(id, file)) {
          if (active >= PARALLEL_FILES) return;
          active++;
          sendFile(id, file)
            .catch(fail)
            .finally(() => {
              active--;
              pump();
            });
        }
        queue.shift();
        filesById.delete(id);
      }
    } catch (error) {
      fail(error);
    }
  };

  call.on('data', (packet: Packet) => {
    switch (packet.type) {
      case 'PACKET_REQ':
        queue.push(packet.ID ?? 0);
        pump();
        break;
      case 'PACKET_FIN':
        // The daemon has all it asked for: answer FIN and close our side.
        sendOne((batch) => batch.addFin()).then(() => call.end(), () => call.end());
        break;
      case 'PACKET_ERR':
        failed = true;
        call.end();
        break;
    }
  });
  call.on('error', () => {
    failed = true;
  });

  try {
    let id = 0;
    const entries = await contextWalk(root, {
      excludes: metadataValues(call.metadata, 'exclude-patterns'),
      includes: metadataValues(call.metadata, 'include-patterns'),
      followPaths: metadataValues(call.metadata, 'followpaths'),
    });
    const batch = new FrameBatch(BATCH + 1024);
    for (const entry of entries) {
      if (entry.hasData) filesById.set(id, { path: entry.isSocket ? null : entry.absolutePath, size: Number(entry.stat.size) });
      id++;
      // The entry is ours alone: its owner is reset in place.
      entry.stat.uid = 0;
      entry.stat.gid = 0;
      batch.addStat(entry.stat);
      counted.statsSent++;
      if (batch.bytes >= BATCH) {
        await send(batch.take());
        // Between batches, the event loop answers health checks and the daemon's requests.
        await nextTurn();
        if (failed) return;
      }
    }
    // A STAT without a stat: the listing is complete.
    batch.addStat();
    await send(batch.take());
  } catch (error) {
    fail(error);
  }
}

interface FileToSend {
  readonly path: string | null;
  readonly size: number;
}

/** Reads the file at `path` into `buffer` until its end or until `buffer` is full; returns how many bytes. */
function readWhole(path: string, buffer: Buffer): number {
  const file = openSync(path, 'r');
  try {
    let filled = 0;
    while (filled < buffer.length) {
      const bytesRead = readSync(file, buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  } finally {
    closeSync(file);
  }
}

interface EncodedChunk {
  /** The DATA packet, as a gRPC frame. */
  readonly frame: Buffer;
  /** How many of the file's bytes it carries. */
  readonly length: number;
  /** Gives the buffer back for another chunk: call it once the message has been written. */
  readonly release: () => void;
}

/**
 * Full-size chunk buffers, used again once written: a large file then costs no new memory per
 * chunk, and the collector stays quiet (each megabyte of new buffers brings a full collection
 * nearer). As many buffers as are in flight at once, which backpressure bounds.
 */
class ChunkBuffers {
  readonly #free: Buffer[] = [];

  take(): Buffer {
    return this.#free.pop() ?? dataPacketBuffer(CHUNK_SIZE);
  }

  give(buffer: Buffer): void {
    this.#free.push(buffer);
  }
}

/**
 * A file's contents as encoded DATA packets, read until end of file (as fsutil's io.Copy does, so a
 * file that grew since the walk is sent whole). Each chunk is read into the buffer that goes to
 * the wire, READ_CHUNKS of them per read (readv): one thread-pool round trip per 256 KiB, where one
 * per 32 KiB chunk cost three times the CPU time.
 */
async function* dataPackets(path: string, id: number, buffers: ChunkBuffers): AsyncGenerator<EncodedChunk> {
  const file = await open(path, 'r');
  try {
    for (;;) {
      const chunks = Array.from({ length: READ_CHUNKS }, () => buffers.take());
      const { bytesRead } = await file.readv(chunks.map((chunk) => chunk.subarray(DATA_HEADER_ROOM, DATA_HEADER_ROOM + CHUNK_SIZE)));
      let left = bytesRead;
      for (const chunk of chunks) {
        const length = Math.min(left, CHUNK_SIZE);
        left -= length;
        if (length > 0) yield { frame: dataFrame(chunk, id, length), length, release: () => buffers.give(chunk) };
        else buffers.give(chunk);
      }
      if (bytesRead === 0) return;
    }
  } finally {
    await file.close();
  }
}
