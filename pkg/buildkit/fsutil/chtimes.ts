// Sets access and modification times to the nanosecond, as fsutil's receiver does (UtimesNanoAt,
// not following symlinks). Node cannot: fs.utimes takes seconds as a double, which near today
// resolves about 240 ns (and older libuv truncates it to microseconds). Whole seconds (all times
// under SOURCE_DATE_EPOCH) go through lutimes; the others through `touch -h -d @S.NNNNNNNNN`, one
// process per distinct time for all its paths. Where touch cannot (not GNU touch), they get the
// nearest time a double holds.
import { execFile } from 'node:child_process';
import { lutimes } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const NS_PER_SECOND = 1_000_000_000n;
const PATHS_PER_TOUCH = 256;
const PARALLEL_TOUCHES = 4;

/** Seconds as fs.utimes takes them: exact for whole seconds, else the nearest double. */
export function secondsOf(ns: bigint): number {
  const wholeSeconds = ns / NS_PER_SECOND;
  return Number(wholeSeconds) + Number(ns - wholeSeconds * NS_PER_SECOND) / 1e9;
}

/** `@S.NNNNNNNNN` for touch -d, the sign in front of the whole value. */
export function touchTimestamp(ns: bigint): string {
  const magnitude = ns < 0n ? -ns : ns;
  const fraction = (magnitude % NS_PER_SECOND).toString().padStart(9, '0');
  return `@${ns < 0n ? '-' : ''}${magnitude / NS_PER_SECOND}.${fraction}`;
}

export interface PathTime {
  readonly path: string;
  /** Nanoseconds since the epoch (fsutil's Stat.modTime). */
  readonly ns: bigint;
}

/** Gives every path its time (atime = mtime), symlinks their own. Order among paths does not matter. */
export async function setTimes(entries: readonly PathTime[]): Promise<void> {
  const fractional = new Map<bigint, string[]>();
  for (const { path, ns } of entries) {
    if (ns % NS_PER_SECOND === 0n) {
      const seconds = secondsOf(ns);
      await lutimes(path, seconds, seconds);
    } else {
      const paths = fractional.get(ns) ?? [];
      paths.push(path);
      fractional.set(ns, paths);
    }
  }
  const batches = [...fractional].flatMap(([ns, paths]) => {
    const chunks: Array<{ ns: bigint; paths: string[] }> = [];
    for (let i = 0; i < paths.length; i += PATHS_PER_TOUCH) chunks.push({ ns, paths: paths.slice(i, i + PATHS_PER_TOUCH) });
    return chunks;
  });
  let touchWorks = true;
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      if (touchWorks) {
        try {
          await run('touch', ['-c', '-h', '-d', touchTimestamp(batch.ns), '--', ...batch.paths]);
          continue;
        } catch {
          touchWorks = false;
        }
      }
      const seconds = secondsOf(batch.ns);
      for (const path of batch.paths) await lutimes(path, seconds, seconds);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_TOUCHES }, worker));
}
