// Sets access and modification times to the nanosecond, as fsutil's receiver does (UtimesNanoAt,
// not following symlinks). Node cannot: fs.utimes takes seconds as a double, which near today
// resolves about 240 ns (and older libuv truncates it to microseconds). Whole seconds (all times
// under SOURCE_DATE_EPOCH) go through lutimes; the others through `touch -h -d <ISO 8601>`, one
// per distinct time, run by a few shells reading scripts (a process started from Node costs several
// times a fork by sh). Where that fails, they get the nearest time a double holds.
import { spawn } from 'node:child_process';
import { lutimes } from 'node:fs/promises';

const NS_PER_SECOND = 1_000_000_000n;
const PATHS_PER_TOUCH = 256;
const SHELLS = 4;

/** Seconds as fs.utimes takes them: exact for whole seconds, else the nearest double. */
export function secondsOf(ns: bigint): number {
  const wholeSeconds = ns / NS_PER_SECOND;
  return Number(wholeSeconds) + Number(ns - wholeSeconds * NS_PER_SECOND) / 1e9;
}

/**
 * `YYYY-MM-DDThh:mm:ss.NNNNNNNNNZ` for touch -d: the form both GNU and BSD touch read (a BSD
 * touch may keep fewer digits).
 */
export function touchTimestamp(ns: bigint): string {
  let seconds = ns / NS_PER_SECOND;
  if (seconds * NS_PER_SECOND > ns) seconds -= 1n; // floor, for times before 1970
  const fraction = (ns - seconds * NS_PER_SECOND).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** A path as one sh word: single-quoted, with each ' closed, escaped and reopened. */
export function shellQuote(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
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
  if (fractional.size === 0) return;
  const scripts: string[][] = Array.from({ length: SHELLS }, () => ['set -e']);
  let next = 0;
  for (const [ns, paths] of fractional) {
    for (let i = 0; i < paths.length; i += PATHS_PER_TOUCH) {
      (scripts[next++ % SHELLS] as string[]).push(`touch -c -h -d ${touchTimestamp(ns)} -- ${paths.slice(i, i + PATHS_PER_TOUCH).map(shellQuote).join(' ')}`);
    }
  }
  const ran = await Promise.all(scripts.filter((lines) => lines.length > 1).map((lines) => runShell(`${lines.join('\n')}\n`)));
  if (ran.every(Boolean)) return;
  for (const [ns, paths] of fractional) {
    const seconds = secondsOf(ns);
    for (const path of paths) await lutimes(path, seconds, seconds);
  }
}

/** Whether sh ran the script to its end. */
function runShell(script: string): Promise<boolean> {
  return new Promise((resolve) => {
    const shell = spawn('sh', ['-s'], { stdio: ['pipe', 'ignore', 'ignore'] });
    shell.on('error', () => resolve(false));
    shell.on('close', (code) => resolve(code === 0));
    shell.stdin.on('error', () => undefined);
    shell.stdin.end(script);
  });
}
