// Runs the bundled executables as a user would (dist/, built by make build), with a given
// environment and stdin, and collects what they print.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface CliResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly cwd?: string;
  /** Send SIGINT after this many milliseconds (to test Ctrl-C). */
  readonly interruptAfterMs?: number;
  readonly timeoutMs?: number;
}

export function runCli(executable: 'kubectl-build' | 'kubectl-buildkit' | 'kubectl-trust', args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const script = resolve('dist', `${executable}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run "make build" first`);
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.input ?? '');
    const timers = [setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000)];
    if (options.interruptAfterMs !== undefined) timers.push(setTimeout(() => child.kill('SIGINT'), options.interruptAfterMs));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      timers.forEach(clearTimeout);
      resolvePromise({ status, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}
