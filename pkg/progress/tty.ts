// The interactive view for a terminal, drawn by listr2 on stderr.
import type { ProgressOutput } from './index.ts';
import { StepTracker, type Step } from './tracker.ts';

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

/**
 * The interactive view: listr2 draws a "Build" task (its symbol, spinner and time) with the live
 * step view as its output, redrawn ten times a second. Signing and push steps join it as tasks of
 * their own later on.
 */
export class TtyProgress extends StepTracker {
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
