// Starting, readying and stopping the service processes our tests and the local stack need.
// Every process is started by us, known by its PID, logged to a file, and stopped by that PID.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** How long stopProcess waits after SIGTERM before SIGKILL, when not the default 10 s. */
  readonly stopGraceMs?: number;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Keep running after this Node process exits (the local stack); the harness leaves it false. */
  readonly detached?: boolean;
  /** See ServiceProcess.stopGraceMs: for servers that linger on purpose after SIGTERM. */
  readonly stopGraceMs?: number;
}

/** Processes this Node process started and has not stopped yet, stopped on exit as a last resort. */
const running = new Map<number, ServiceProcess>();
let exitHookInstalled = false;

export function startProcess(options: StartOptions): ServiceProcess {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', log, log],
      detached: options.detached ?? false,
    });
    if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
    const service: ServiceProcess = {
      name: options.name,
      pid: child.pid,
      logFile: options.logFile,
      ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
    };
    if (options.detached) {
      child.unref();
    } else {
      running.set(child.pid, service);
      child.on('exit', () => running.delete(service.pid));
      installExitHook();
    }
    return service;
  } finally {
    closeSync(log);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL after `graceMs` (the service's own stopGraceMs, else 10 s); resolves once the PID is gone. */
export async function stopProcess(service: Pick<ServiceProcess, 'pid' | 'stopGraceMs'>, graceMs = service.stopGraceMs ?? 10_000): Promise<void> {
  running.delete(service.pid);
  if (!signal(service.pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (isAlive(service.pid)) {
    if (Date.now() > deadline) {
      signal(service.pid, 'SIGKILL');
      await sleep(100);
      return;
    }
    await sleep(50);
  }
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

export interface WaitOptions {
  /** What we are waiting for, for the timeout message: "registry to answer /v2/". */
  readonly what: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Fail at once (with its log) if this process exits while we wait. */
  readonly process?: ServiceProcess;
}

/** Polls `check` until it returns a value other than undefined. */
export async function waitUntil<T>(check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (options.process && !isAlive(options.process.pid)) {
      throw new Error(`${options.process.name} exited while waiting for ${options.what}\n${describeLog(options.process)}`);
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const log = options.process ? `\n${describeLog(options.process)}` : '';
      throw new Error(`timed out waiting for ${options.what}${reason}${log}`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}

export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function describeLog(service: ServiceProcess, lines = 40): string {
  return `--- last ${lines} lines of ${service.name} log (${service.logFile}) ---\n${logTail(service.logFile, lines)}\n---`;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test run that is killed or crashes must not leave a buildkitd behind: kill what is left.
  process.on('exit', () => {
    for (const service of running.values()) signal(service.pid, 'SIGKILL');
  });
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, () => {
      for (const service of running.values()) signal(service.pid, 'SIGTERM');
      process.exit(128 + (name === 'SIGINT' ? 2 : 15));
    });
  }
}

/**
 * Whether `pid` is still the process we started as `command` (a PID can be reused after a reboot or
 * a crash, and we must never signal somebody else's process).
 */
export function isOurProcess(pid: number, command: string): boolean {
  const argv0 = commandOf(pid);
  return argv0 !== '' && (argv0 === command || argv0.endsWith(`/${command.split('/').pop()}`));
}

/** The program a PID runs (its argv[0]), '' when there is no such process. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return '';
  }
}

/** Runs `ready`; if it fails, stops `service` before passing the error on (no half-started services). */
export async function readyOrStop<T>(service: ServiceProcess, ready: () => Promise<T>): Promise<T> {
  try {
    return await ready();
  } catch (error) {
    await stopProcess(service);
    throw error;
  }
}
