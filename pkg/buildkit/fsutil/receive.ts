// The receiving half of fsutil's DiffCopy, for `--output type=local`: the daemon lists the result
// (STAT packets, a directory before its children), we ask for every regular file's contents (REQ)
// and write them as they arrive (DATA), then close with FIN. Nothing is written outside `dest`.
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, link, lutimes, mkdir, rm, symlink, utimes } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { GoMode, type WireStat } from './stat.ts';

export interface Packet {
  type: 'PACKET_STAT' | 'PACKET_REQ' | 'PACKET_DATA' | 'PACKET_FIN' | 'PACKET_ERR';
  stat?: WireStat | null;
  ID?: number;
  data?: Buffer;
}

/** The two directions of one DiffCopy call, as packets. */
export interface PacketChannel {
  send(packet: Packet): void;
  /** Resolves with each incoming packet in order; null when the stream ends. */
  next(): Promise<Packet | null>;
}

export interface ReceiveCounters {
  files: number;
  bytes: number;
}

const PERMISSIONS = 0o7777;

export async function receiveTree(channel: PacketChannel, dest: string, counters: ReceiveCounters = { files: 0, bytes: 0 }): Promise<ReceiveCounters> {
  await mkdir(dest, { recursive: true });
  const pending = new Map<number, { path: string; stat: WireStat; out?: WriteStream }>();
  const directories: Array<{ path: string; stat: WireStat }> = [];
  // Symlinks written so far: nothing may be written through one (it could point anywhere).
  const symlinks = new Set<string>();
  const target = (relative: string) => {
    const path = safeJoin(dest, relative);
    for (const link of symlinks) if (path.startsWith(`${link}${sep}`)) throw new Error(`refusing to write through the symlink ${link}`);
    return path;
  };
  let id = 0;
  let listed = false;

  const finishIfDone = () => {
    if (listed && pending.size === 0) channel.send({ type: 'PACKET_FIN' });
  };

  for (;;) {
    const packet = await channel.next();
    if (packet === null) break;
    switch (packet.type) {
      case 'PACKET_STAT': {
        if (!packet.stat) {
          listed = true;
          finishIfDone();
          break;
        }
        const stat = packet.stat;
        const path = target(stat.path);
        const mode = stat.mode >>> 0;
        if (mode & GoMode.dir) {
          await mkdir(path, { recursive: true });
          directories.push({ path, stat });
        } else if (mode & GoMode.symlink) {
          await rm(path, { force: true });
          await symlink(stat.linkname, path);
          symlinks.add(path);
          await lutimes(path, ...times(stat)).catch(() => undefined);
        } else if (stat.linkname) {
          await rm(path, { force: true });
          await link(target(stat.linkname), path);
        } else if ((mode & (GoMode.device | GoMode.namedPipe | GoMode.socket)) === 0) {
          pending.set(id, { path, stat });
          channel.send({ type: 'PACKET_REQ', ID: id });
        }
        id++;
        break;
      }
      case 'PACKET_DATA': {
        const file = pending.get(packet.ID ?? 0);
        if (!file) throw new Error(`the daemon sent data for unknown file #${packet.ID}`);
        if (packet.data && packet.data.length > 0) {
          file.out ??= createWriteStream(file.path, { mode: 0o600 });
          if (!file.out.write(packet.data)) await new Promise<void>((resolve) => file.out?.once('drain', () => resolve()));
          counters.bytes += packet.data.length;
        } else {
          // An empty DATA ends the file.
          const out = file.out ?? createWriteStream(file.path, { mode: 0o600 });
          await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
          await chmod(file.path, file.stat.mode & PERMISSIONS);
          await utimes(file.path, ...times(file.stat));
          pending.delete(packet.ID ?? 0);
          counters.files++;
          finishIfDone();
        }
        break;
      }
      case 'PACKET_FIN':
        // Directory modes and times last, once nothing more is written into them.
        for (const dir of directories.reverse()) {
          await chmod(dir.path, dir.stat.mode & PERMISSIONS);
          await utimes(dir.path, ...times(dir.stat));
        }
        return counters;
      case 'PACKET_ERR':
        throw new Error(`the daemon failed to send the result: ${packet.data?.toString('utf8') ?? ''}`);
    }
  }
  throw new Error('the daemon closed the output stream before it was complete');
}

/** `dest/relative`, refusing absolute paths and `..` that would leave `dest`. */
export function safeJoin(dest: string, relative: string): string {
  const cleaned = normalize(relative);
  if (isAbsolute(cleaned) || cleaned === '..' || cleaned.startsWith(`..${sep}`)) {
    throw new Error(`refusing to write outside the output folder: ${relative}`);
  }
  return join(dest, cleaned);
}

function times(stat: WireStat): [Date, Date] {
  const date = new Date(Number(BigInt(stat.modTime) / 1_000_000n));
  return [date, date];
}
