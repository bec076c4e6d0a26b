// fsutil's Stat, the way its sender fills it (mkstat): Go os.FileMode bits, nanosecond times,
// hardlinks as a link to the first path seen with the same inode (still with their own size), a
// socket as a plain file (fsutil clears the socket bit, so the daemon asks for its contents).
import type { BigIntStats } from 'node:fs';

/** fsutil.types.Stat as it goes on the wire (int64 fields as decimal strings). */
export interface WireStat {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: string;
  modTime: string;
  linkname: string;
  devmajor: string;
  devminor: string;
  xattrs: Record<string, Buffer>;
}

// Go's os.FileMode type bits.
export const GoMode = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
} as const;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFBLK = 0o060000;
const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

/** POSIX st_mode to Go's os.FileMode, as a uint32. */
export function goFileMode(posixMode: number): number {
  let mode = posixMode & 0o777;
  if (posixMode & 0o4000) mode += GoMode.setuid;
  if (posixMode & 0o2000) mode += GoMode.setgid;
  if (posixMode & 0o1000) mode += GoMode.sticky;
  switch (posixMode & S_IFMT) {
    case S_IFDIR:
      mode += GoMode.dir;
      break;
    case S_IFLNK:
      mode += GoMode.symlink;
      break;
    case S_IFBLK:
      mode += GoMode.device;
      break;
    case S_IFCHR:
      mode += GoMode.device + GoMode.charDevice;
      break;
    case S_IFIFO:
      mode += GoMode.namedPipe;
      break;
    // S_IFSOCK: Go's ModeSocket, which fsutil clears before sending (tar has no socket type).
  }
  return mode;
}

/** Remembers the first path of each multiply-linked inode, so later ones go as hardlinks. */
export class HardlinkTracker {
  readonly #seen = new Map<string, string>();

  /** The path to link to, or undefined when this is the first time the inode is seen. */
  linkTarget(stats: BigIntStats, path: string): string | undefined {
    if (stats.isDirectory() || stats.nlink <= 1n) return undefined;
    const key = `${stats.dev}:${stats.ino}`;
    const first = this.#seen.get(key);
    if (first === undefined) this.#seen.set(key, path);
    return first;
  }
}

/** Major and minor numbers as fsutil splits st_rdev (the old 8+8 bit layout extended to 12+20). */
export function deviceNumbers(rdev: bigint): { major: bigint; minor: bigint } {
  return { major: (rdev >> 8n) & 0xfffn, minor: (rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n) };
}

const NOT_A_DEVICE = { major: 0n, minor: 0n };

export function wireStat(path: string, stats: BigIntStats, linkname: string, hardlinkOf: string | undefined): WireStat {
  const device = stats.isBlockDevice() || stats.isCharacterDevice();
  const { major, minor } = device ? deviceNumbers(stats.rdev) : NOT_A_DEVICE;
  return {
    path,
    mode: goFileMode(Number(stats.mode)),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    // Directories carry no size. A hardlink keeps its file's size (fsutil sets it after the
    // hardlink check) although its data comes from the first path; a symlink's is its target's length.
    size: stats.isDirectory() ? '0' : stats.size.toString(),
    modTime: stats.mtimeNs.toString(),
    linkname: hardlinkOf ?? linkname,
    devmajor: device ? major.toString() : '0',
    devminor: device ? minor.toString() : '0',
    // Extended attributes are not read: Node has no API for them (see the README's limits).
    xattrs: {},
  };
}
