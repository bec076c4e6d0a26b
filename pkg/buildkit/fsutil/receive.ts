// The receiving half of fsutil's DiffCopy, for `--output type=local`: the daemon lists the result
// (STAT packets, a directory before its children), we ask for every regular file's contents (REQ)
// and write them as they arrive (DATA), then close with FIN. Nothing is written outside `dest`.
// What lands on disk is what buildctl leaves: the destination created 0700 when missing, entries
// owned by the receiving user (BuildKit's client maps every uid and gid to its own), modes with
// setuid, setgid and sticky bits, fifos and devices, hard links, and nanosecond times on every
// entry, symlinks included (directories' last, once nothing more is written into them).
import { execFile } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { setTimes, type PathTime } from './chtimes.ts';
import { GoMode, type WireStat } from './stat.ts';

const run = promisify(execFile);

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

/** Go's os.FileMode setuid/setgid/sticky bits and permissions, as chmod takes them. */
export function posixPermissions(goMode: number): number {
  const mode = goMode >>> 0;
  let permissions = mode & 0o777;
  if (mode & GoMode.setuid) permissions |= 0o4000;
  if (mode & GoMode.setgid) permissions |= 0o2000;
  if (mode & GoMode.sticky) permissions |= 0o1000;
  return permissions;
}

export async function receiveTree(channel: PacketChannel, dest: string, counters: ReceiveCounters = { files: 0, bytes: 0 }): Promise<ReceiveCounters> {
  // As buildctl: a missing destination (and its missing parents) is created private.
  await mkdir(dest, { recursive: true, mode: 0o700 });
  const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const pending = new Map<number, { path: string; stat: WireStat; out?: WriteStream }>();
  const directories: Array<{ path: string; stat: WireStat }> = [];
  const times: PathTime[] = [];
  const existingDirectories: PathTime[] = [];
  // Folders in which an entry was created or replaced (their time is that write's).
  const writtenInto = new Set<string>();
  // Symlinks written so far: nothing may be written through one (it could point anywhere).
  const symlinks = new Set<string>();
  const target = (relative: string) => {
    const path = safeJoin(dest, relative);
    for (const link of symlinks) if (path.startsWith(`${link}${sep}`)) throw new Error(`refusing to write through the symlink ${link}`);
    return path;
  };
  const setOwner = (path: string) => lchown(path, owner.uid, owner.gid);
  let id = 0;
  let listed = false;

  // Once everything is written: directory modes (deferred so that a read-only directory still
  // takes its entries), then every time; only then FIN, as fsutil's receiver does, because the
  // daemon ends the build on it and the CLI may exit right after.
  const finishIfDone = async () => {
    if (!listed || pending.size > 0) return;
    for (const dir of directories.reverse()) await chmod(dir.path, posixPermissions(dir.stat.mode));
    await setTimes([...times, ...existingDirectories.filter((dir) => !writtenInto.has(dir.path))]);
    channel.send({ type: 'PACKET_FIN' });
  };

  for (;;) {
    const packet = await channel.next();
    if (packet === null) break;
    switch (packet.type) {
      case 'PACKET_STAT': {
        if (!packet.stat) {
          listed = true;
          await finishIfDone();
          break;
        }
        const stat = packet.stat;
        const path = target(stat.path);
        const mode = stat.mode >>> 0;
        if (mode & GoMode.dir) {
          if (await isDirectory(path)) {
            // A folder that was already there takes its metadata now, as fsutil's receiver gives
            // it, so that an entry written into it afterwards leaves it with the time of that
            // write. Its time is set at the end, and only when nothing was written into it: the
            // same result without a shell per folder.
            await setOwner(path);
            await chmod(path, posixPermissions(mode));
            existingDirectories.push({ path, ns: BigInt(stat.modTime) });
          } else {
            writtenInto.add(dirname(path));
            await rm(path, { force: true });
            await mkdir(path);
            await setOwner(path);
            directories.push({ path, stat });
            times.push({ path, ns: BigInt(stat.modTime) });
          }
        } else {
          writtenInto.add(dirname(path));
          times.push({ path, ns: BigInt(stat.modTime) });
          // Whatever was there is replaced (never written through: it may be a hard link).
          await rm(path, { force: true, recursive: true });
          if (mode & GoMode.symlink) {
            await symlink(stat.linkname, path);
            symlinks.add(path);
            await setOwner(path);
          } else if (stat.linkname) {
            // A hard link: its first name was listed before it, and already exists (possibly empty yet).
            await link(target(stat.linkname), path);
            await setOwner(path);
            await chmod(path, posixPermissions(mode));
          } else if (mode & (GoMode.device | GoMode.namedPipe)) {
            await makeNode(path, stat);
            await setOwner(path);
            await chmod(path, posixPermissions(mode));
          } else {
            // Created now, so that a hard link listed before its data arrives can point to it.
            await writeFile(path, '', { mode: 0o600 });
            pending.set(id, { path, stat });
            channel.send({ type: 'PACKET_REQ', ID: id });
          }
        }
        id++;
        break;
      }
      case 'PACKET_DATA': {
        const file = pending.get(packet.ID ?? 0);
        if (!file) throw new Error(`the daemon sent data for unknown file #${packet.ID}`);
        if (packet.data && packet.data.length > 0) {
          file.out ??= createWriteStream(file.path);
          if (!file.out.write(packet.data)) await new Promise<void>((resolve) => file.out?.once('drain', () => resolve()));
          counters.bytes += packet.data.length;
        } else {
          // An empty DATA ends the file.
          const out = file.out;
          if (out) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
          await setOwner(file.path);
          await chmod(file.path, posixPermissions(file.stat.mode));
          pending.delete(packet.ID ?? 0);
          counters.files++;
          await finishIfDone();
        }
        break;
      }
      case 'PACKET_FIN':
        return counters;
      case 'PACKET_ERR':
        throw new Error(`the daemon failed to send the result: ${packet.data?.toString('utf8') ?? ''}`);
    }
  }
  throw new Error('the daemon closed the output stream before it was complete');
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A fifo or device node (Node has no mknod): mknod(1), as fsutil's receiver calls mknod(2). */
async function makeNode(path: string, stat: WireStat): Promise<void> {
  const mode = stat.mode >>> 0;
  if (mode & GoMode.namedPipe) {
    await run('mknod', ['--', path, 'p']);
    return;
  }
  await run('mknod', ['--', path, mode & GoMode.charDevice ? 'c' : 'b', BigInt(stat.devmajor).toString(), BigInt(stat.devminor).toString()]);
}

/** `dest/relative`, refusing absolute paths and `..` that would leave `dest`. */
export function safeJoin(dest: string, relative: string): string {
  const cleaned = normalize(relative);
  if (isAbsolute(cleaned) || cleaned === '..' || cleaned.startsWith(`..${sep}`)) {
    throw new Error(`refusing to write outside the output folder: ${relative}`);
  }
  return join(dest, cleaned);
}
