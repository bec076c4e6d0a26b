// Runs the executables as a user would, with a given environment and stdin, and collects what they
// print: the bundle (dist/, built by make build), or, with KUBECTL_BUILD_TEST_EXECUTABLE=sea, the
// single executable make release built for this machine, started under the plugin's name.
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
  /** Send SIGINT (or `interruptWith`) when this settles (e.g. when a build step signals that it runs). */
  readonly interruptWhen?: Promise<unknown>;
  readonly interruptWith?: 'SIGINT' | 'SIGTERM';
  readonly timeoutMs?: number;
  /** Told all of stderr so far each time more arrives. */
  readonly onStderr?: (stderr: string) => void;
}

type Executable = 'kubectl-build' | 'kubectl-buildkit' | 'kubectl-trust';

/** The single executable make release built for this machine's platform. */
export function singleExecutable(): string {
  return resolve('dist', 'release', `linux-${process.arch === 'x64' ? 'amd64' : process.arch}`, 'kubectl-build');
}

/** The program to start for `executable`, its first arguments, and the name it runs under. */
function programFor(executable: Executable): { file: string; args: string[]; argv0?: string } {
  if (process.env.KUBECTL_BUILD_TEST_EXECUTABLE === 'sea') {
    const file = singleExecutable();
    if (!existsSync(file)) throw new Error(`${file} is missing: run "make release" first`);
    // The name it runs as picks the plugin, as when kubectl runs it through a link of that name.
    return { file, args: [], argv0: executable };
  }
  const script = resolve('dist', `${executable}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run "make build" first`);
  return { file: process.execPath, args: [script] };
}

export function runCli(executable: Executable, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const program = programFor(executable);
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program.file, [...program.args, ...args], {
      ...(program.argv0 ? { argv0: program.argv0 } : {}),
      // The CI's own OIDC token endpoint (GitHub Actions) is never picked up unless a test passes it.
      env: { ...process.env, ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr);
    });
    child.stdin.end(options.input ?? '');
    const timers = [setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000)];
    const interrupt = () => child.kill(options.interruptWith ?? 'SIGINT');
    options.interruptWhen?.then(interrupt, interrupt);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      timers.forEach(clearTimeout);
      resolvePromise({ status, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** `shown` resolves once the stderr told to `onStderr` contains `marker`: pass both to runCli. */
export function stderrShows(marker: string): { readonly onStderr: (stderr: string) => void; readonly shown: Promise<string> } {
  let seen: (stderr: string) => void = () => {};
  const shown = new Promise<string>((resolveShown) => (seen = resolveShown));
  return { onStderr: (stderr) => (stderr.includes(marker) ? seen(stderr) : undefined), shown };
}

/**
 * Starts `executable` and resolves once its stderr shows `marker` (a build step that started, say),
 * with what it printed until then and its whole run to await; rejects if the marker does not come
 * within `waitMs` or the run ends first.
 */
export async function runCliUntil(
  executable: Executable, args: readonly string[], marker: string, options: CliOptions = {}, waitMs = 60_000,
): Promise<{ readonly stderr: string; readonly done: Promise<CliResult> }> {
  const { onStderr, shown } = stderrShows(marker);
  const done = runCli(executable, args, { ...options, onStderr });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`"${marker}" did not show within ${waitMs / 1000} s`)), waitMs)));
  const ended = done.then((result) => Promise.reject(new Error(`${executable} ended before "${marker}" showed:\n${result.stderr}`)));
  try {
    return { stderr: await Promise.race([shown, late, ended]), done };
  } finally {
    clearTimeout(timer);
    ended.catch(() => {});
  }
}
