// Whole processes, timed from spawn to exit. Ours is the shipped program: the single executable
// `make release` builds for this machine, linked under each plugin's name in a directory of its own,
// as install.sh and krew put it on PATH and as kubectl starts it (the name picks the plugin).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Measured } from './runs.ts';

export type Plugin = 'kubectl-build' | 'kubectl-buildkit' | 'kubectl-trust';
export const PLUGINS: readonly Plugin[] = ['kubectl-build', 'kubectl-buildkit', 'kubectl-trust'];

/** The single executable make release built for this machine's platform. */
export function singleExecutable(): string {
  const file = resolve('dist', 'release', `linux-${process.arch === 'x64' ? 'amd64' : process.arch}`, 'kubectl-build');
  if (!existsSync(file)) throw new Error(`${file} is missing: run "make release" first`);
  return file;
}

/** Links the single executable under each plugin's name in `dir`; returns the path of each. */
export function linkPlugins(dir: string): Record<Plugin, string> {
  mkdirSync(dir, { recursive: true });
  const file = singleExecutable();
  const links = Object.fromEntries(PLUGINS.map((plugin) => [plugin, join(dir, plugin)])) as Record<Plugin, string>;
  for (const link of Object.values(links)) symlinkSync(file, link);
  return links;
}

export interface Run extends Measured {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident memory of the process (with `rssFile`), in MB. */
  readonly rssMb?: number;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Exit codes that are not a failure (default: 0). */
  readonly ok?: readonly number[];
  /** Measure the peak RSS with GNU time, which writes it to this file. */
  readonly rssFile?: string;
}

/** Runs one process to its end; throws, with the end of its stderr, when it exits otherwise than `ok`. */
export async function measure(command: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const [file, fileArgs] = options.rssFile ? ['/usr/bin/time', ['-f', '%M', '-o', options.rssFile, command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(file, fileArgs, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const status = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done(code));
  });
  const ms = performance.now() - started;
  const run = { ms, status: status ?? -1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
  if (status === null || !(options.ok ?? [0]).includes(status)) {
    throw new Error(`${command} ${args.join(' ')} exited ${status ?? 'on a signal'}:\n${run.stderr.slice(-1500)}`);
  }
  if (!options.rssFile) return run;
  return { ...run, rssMb: Number(readFileSync(options.rssFile, 'utf8').trim().split('\n').pop()) / 1024 };
}

/** Several processes one after the other (a user's shell line `a && b`), timed as one. */
export async function inSequence(...steps: Array<() => Promise<Run>>): Promise<Run> {
  const started = performance.now();
  const runs: Run[] = [];
  for (const step of steps) runs.push(await step());
  const last = runs[runs.length - 1] as Run;
  return { ...last, ms: performance.now() - started, stdout: runs.map((r) => r.stdout).join(''), stderr: runs.map((r) => r.stderr).join('') };
}
