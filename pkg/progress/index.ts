// Build progress: the daemon's Status stream, rendered for a person (plain), a program (rawjson)
// or nobody (quiet). The writer keeps what it needs to explain a failure afterwards: the failing
// step's name and the tail of its log.
import type { StatusResponse, Timestamp } from '../buildkit/types.ts';

export type ProgressOutput = { write(text: string): unknown };

export interface ProgressWriter {
  write(status: StatusResponse): void;
  /** Prints what is left (the failed step's log tail, warnings) once the build is over. */
  finish(): void | Promise<void>;
  /** The failed step and its last log lines, for the error message. */
  failure(): { step: string; logTail: string[] } | undefined;
}

export type ProgressFormat = 'tty' | 'plain' | 'rawjson' | 'quiet';

export function createProgressWriter(format: ProgressFormat, output: ProgressOutput): ProgressWriter {
  switch (format) {
    case 'tty':
      return new TtyProgress(output);
    case 'rawjson':
      return new StepTracker((status) => output.write(`${JSON.stringify(status, bufferAsBase64)}\n`));
    case 'quiet':
      return new StepTracker(() => undefined);
    case 'plain':
      return new PlainPrinter(output);
  }
}

const LOG_TAIL_LINES = 12;

export interface Step {
  readonly number: number;
  name: string;
  startedMs?: number;
  completedMs?: number;
  cached: boolean;
  announced: boolean;
  done: boolean;
  error: string;
  logTail: string[];
  partialLine: string;
}

/** Follows steps across status messages (merged by digest); printers build on it. */
export class StepTracker implements ProgressWriter {
  protected readonly steps = new Map<string, Step>();
  protected readonly warnings: string[] = [];
  readonly #onStatus: (status: StatusResponse) => void;

  constructor(onStatus: (status: StatusResponse) => void) {
    this.#onStatus = onStatus;
  }

  write(status: StatusResponse): void {
    this.#onStatus(status);
    for (const vertex of status.vertexes) {
      const step = this.step(vertex.digest);
      step.name = vertex.name || step.name;
      if (vertex.started && step.startedMs === undefined) step.startedMs = timestampMs(vertex.started);
      if (vertex.completed) step.completedMs = timestampMs(vertex.completed);
      if (vertex.cached) step.cached = true;
      if (vertex.error) step.error = vertex.error;
    }
    for (const log of status.logs) {
      const step = this.step(log.vertex);
      const lines = (step.partialLine + log.msg.toString('utf8')).split('\n');
      step.partialLine = lines.pop() ?? '';
      step.logTail.push(...lines);
      step.logTail.splice(0, Math.max(0, step.logTail.length - LOG_TAIL_LINES));
    }
    for (const warning of status.warnings) this.warnings.push(warning.short.toString('utf8'));
  }

  finish(): void {}

  failure(): { step: string; logTail: string[] } | undefined {
    for (const step of this.steps.values()) {
      if (step.error) {
        const tail = step.partialLine ? [...step.logTail, step.partialLine] : step.logTail;
        return { step: step.name, logTail: tail.slice(-LOG_TAIL_LINES) };
      }
    }
    return undefined;
  }

  protected step(digest: string): Step {
    let step = this.steps.get(digest);
    if (!step) {
      step = { number: this.steps.size + 1, name: '', cached: false, announced: false, done: false, error: '', logTail: [], partialLine: '' };
      this.steps.set(digest, step);
    }
    return step;
  }
}

/**
 * The interactive view: listr2 draws a "Build" task (its symbol, spinner and time) with the live
 * step view as its output, redrawn ten times a second. Signing and push steps join it as tasks of
 * their own later on.
 */
class TtyProgress extends StepTracker {
  readonly #output: ProgressOutput;
  readonly #startedMs = Date.now();
  #finish: (() => void) | undefined;
  #fail: ((error: Error) => void) | undefined;
  #running: Promise<unknown> | undefined;

  constructor(output: ProgressOutput) {
    super(() => undefined);
    this.#output = output;
    this.#running = import('listr2').then(({ DefaultRenderer, Listr, ListrLogger, ProcessOutput }) => {
      // listr2 only draws when *stdout* is a terminal; we draw on stderr, whose terminal we checked.
      class StderrRenderer extends DefaultRenderer {
        static override nonTTY = true;
      }
      return new Listr(
        [
          {
            title: 'Building',
            task: (_context, task) =>
              new Promise<void>((resolve, reject) => {
                const timer = setInterval(() => this.#draw(task), 100);
                const settle = (error?: Error) => {
                  clearInterval(timer);
                  this.#draw(task);
                  if (error) reject(error);
                  else resolve();
                };
                this.#finish = () => settle();
                this.#fail = (error) => settle(error);
              }),
            rendererOptions: { outputBar: Infinity, persistentOutput: true },
          },
        ],
        {
          renderer: StderrRenderer,
          exitOnError: true,
          rendererOptions: {
            collapseErrors: false,
            // Progress goes to stderr, as docker's does: stdout stays clean for dest=- and scripts.
            logger: new ListrLogger({ processOutput: new ProcessOutput(output as NodeJS.WriteStream, output as NodeJS.WriteStream) }),
          },
        },
      )
        .run()
        .catch(() => undefined);
    });
  }

  #draw(task: { title: string; output: string }): void {
    const steps = [...this.steps.values()];
    const done = steps.filter((step) => step.completedMs !== undefined).length;
    const seconds = ((Date.now() - this.#startedMs) / 1000).toFixed(1);
    task.title = `Building ${seconds}s (${done}/${steps.length})`;
    task.output = ttyFrame(steps, Date.now()).join('\n');
  }

  override async finish(): Promise<void> {
    const failed = this.failure();
    // listr2 may still be loading on a very fast build: wait until its task exists.
    while (!this.#finish) await new Promise((resolve) => setTimeout(resolve, 10));
    if (failed) this.#fail?.(new Error(`${failed.step} failed`));
    else this.#finish();
    await this.#running;
    for (const warning of this.warnings) this.#output.write(`WARNING: ${warning}\n`);
  }
}

/** buildctl's plain format: "#N name", "#N 0.123 log line", "#N CACHED", "#N DONE 1.2s", "#N ERROR: ...". */
class PlainPrinter extends StepTracker {
  readonly #output: ProgressOutput;

  constructor(output: ProgressOutput) {
    super(() => undefined);
    this.#output = output;
  }

  override write(status: StatusResponse): void {
    super.write(status);
    const out: string[] = [];
    for (const vertex of status.vertexes) {
      const step = this.step(vertex.digest);
      if (!step.announced && (vertex.started || vertex.cached)) {
        step.announced = true;
        out.push(`#${step.number} ${step.name}`);
      }
      if (vertex.completed && !step.done) {
        step.done = true;
        if (vertex.error) out.push(`#${step.number} ERROR: ${vertex.error}`);
        else if (vertex.cached) out.push(`#${step.number} CACHED`);
        else out.push(`#${step.number} DONE ${seconds(vertex.started, vertex.completed)}`);
      }
    }
    for (const item of status.statuses) {
      if (!item.completed) continue;
      const step = this.step(item.vertex);
      const amount = item.total !== '0' ? ` ${humanBytes(Number(item.current))} / ${humanBytes(Number(item.total))}` : '';
      out.push(`#${step.number} ${item.name || item.ID}${amount} done`);
    }
    for (const log of status.logs) {
      const step = this.step(log.vertex);
      const since = step.startedMs !== undefined && log.timestamp ? ((timestampMs(log.timestamp) - step.startedMs) / 1000).toFixed(3) : '0.000';
      for (const line of log.msg.toString('utf8').split('\n')) if (line !== '') out.push(`#${step.number} ${since} ${line}`);
    }
    if (out.length > 0) this.#output.write(`${out.join('\n')}\n`);
  }

  override finish(): void {
    const failed = this.failure();
    if (failed && failed.logTail.length > 0) {
      this.#output.write(`------\n > ${failed.step}:\n${failed.logTail.map((line) => `${line}\n`).join('')}------\n`);
    }
    for (const warning of this.warnings) this.#output.write(`WARNING: ${warning}\n`);
  }
}

/**
 * The live view, as buildx draws it: one "=> name  time" line per step that has started, CACHED or
 * ERROR where it applies, and the last log lines of the steps still running. Pure: a function of the
 * steps and the time, so it is tested without a terminal.
 */
export function ttyFrame(steps: Iterable<Step>, nowMs: number, logLines = 6): string[] {
  const lines: string[] = [];
  for (const step of steps) {
    if (step.startedMs === undefined && !step.cached) continue;
    const end = step.completedMs ?? nowMs;
    const elapsed = `${(Math.max(0, end - (step.startedMs ?? end)) / 1000).toFixed(1)}s`;
    const label = step.error ? `ERROR ${step.name}` : step.cached ? `CACHED ${step.name}` : step.name;
    lines.push(`=> ${label}  ${elapsed}`);
    if (step.completedMs === undefined) {
      const tail = step.partialLine ? [...step.logTail, step.partialLine] : step.logTail;
      for (const line of tail.slice(-logLines)) lines.push(`=> => # ${line}`);
    }
  }
  return lines;
}

function timestampMs(timestamp: Timestamp): number {
  return Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
}

function seconds(started: Timestamp | null, completed: Timestamp | null): string {
  if (!started || !completed) return '0.0s';
  return `${((timestampMs(completed) - timestampMs(started)) / 1000).toFixed(1)}s`;
}

function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(2)}${units[unit]}`;
}

// rawjson writes bytes fields (log messages) as base64, as buildctl's rawjson does.
function bufferAsBase64(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}
