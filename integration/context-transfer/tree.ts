// A file tree as a user would compare two of them: every entry's full metadata, read with lstat
// (nanosecond times, special mode bits, owners), symlink targets, contents by digest, and which
// names share an inode (as the first name of the group, in byte order).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';

export type TreeSnapshot = Map<string, string>;

export interface SnapshotOptions {
  /** Times at or after this (ns since the epoch) read `mtime=during-export`: when the export wrote them, not from the result. */
  readonly exportStartedNs: bigint;
}

function describe(absolute: string, stats: BigIntStats, hardlinkGroup: string | undefined, options: SnapshotOptions): string {
  const type = stats.isDirectory() ? 'dir' : stats.isSymbolicLink() ? 'symlink' : stats.isFIFO() ? 'fifo' : stats.isSocket() ? 'socket' : stats.isFile() ? 'file' : 'device';
  const fields = [
    type,
    `mode=${(Number(stats.mode) & 0o7777).toString(8).padStart(4, '0')}`,
    `uid=${stats.uid}`,
    `gid=${stats.gid}`,
    `mtime=${stats.mtimeNs >= options.exportStartedNs ? 'during-export' : stats.mtimeNs}`,
  ];
  if (type === 'file') fields.push(`size=${stats.size}`, `sha256=${createHash('sha256').update(readFileSync(absolute)).digest('hex').slice(0, 16)}`);
  if (type === 'symlink') fields.push(`target=${readlinkSync(absolute)}`);
  if (type === 'device') fields.push(`rdev=${stats.rdev}`);
  if (hardlinkGroup !== undefined) fields.push(`hardlink-of=${hardlinkGroup}`);
  return fields.join(' ');
}

/** `.` is the folder itself; other keys are `/`-separated relative paths. */
export function snapshotTree(root: string, options: SnapshotOptions): TreeSnapshot {
  const stats = new Map<string, BigIntStats>();
  const walk = (relative: string) => {
    const absolute = relative === '.' ? root : join(root, relative);
    const stat = lstatSync(absolute, { bigint: true });
    stats.set(relative, stat);
    if (!stat.isDirectory()) return;
    const names = readdirSync(absolute).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) walk(relative === '.' ? name : `${relative}/${name}`);
  };
  walk('.');

  const firstNameOfInode = new Map<bigint, string>();
  for (const [path, stat] of stats) if (!stat.isDirectory() && stat.nlink > 1n && !firstNameOfInode.has(stat.ino)) firstNameOfInode.set(stat.ino, path);
  const snapshot: TreeSnapshot = new Map();
  for (const [path, stat] of stats) {
    const group = !stat.isDirectory() && stat.nlink > 1n ? firstNameOfInode.get(stat.ino) : undefined;
    snapshot.set(path, describe(path === '.' ? root : join(root, path), stat, group, options));
  }
  return snapshot;
}

/** One line per path whose description differs: `path: ours | theirs`. */
export function treeDifferences(ours: TreeSnapshot, theirs: TreeSnapshot): string[] {
  const paths = [...new Set([...ours.keys(), ...theirs.keys()])].sort();
  return paths.filter((path) => ours.get(path) !== theirs.get(path)).map((path) => `${path}:\n  ours:   ${ours.get(path) ?? '(absent)'}\n  theirs: ${theirs.get(path) ?? '(absent)'}`);
}
