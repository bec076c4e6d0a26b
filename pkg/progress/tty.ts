// The interactive view for a terminal, drawn by listr2 on stderr.
import type { ProgressOutput, ProgressWriter } from './index.ts';
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
 * The interactive view: listr2 draws one task per build (a platform, or just "Building"): its
 * symbol, spinner, time and done/total, with the live step view as its output, redrawn ten times a
 * second. All builds of a run are known when it starts, so they are all tasks of one list.
 */
export class TtyGroup {
  readonly #tasks: TtyTask[];
  readonly #output: ProgressOutput;
  readonly #running: Promise<unknown>;

  constructor(output: ProgressOutput, labels: readonly string[]) {
    this.#output = output;
    this.#tasks = labels.map((label) => new TtyTask(label));
    this.#running = import('listr2').then(({ DefaultRenderer, Listr, ListrLogger, ProcessOutput }) => {
      // listr2 only draws when *stdout* is a terminal; we draw on stderr, whose terminal we checked.
      class StderrRenderer extends DefaultRenderer {
        static override nonTTY = true;
      }
      return new Listr(
        this.#tasks.map((task) => task.listrTask()),
        {
          concurrent: true,
          exitOnError: false,
          renderer: StderrRenderer,
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

  writer(index: number): ProgressWriter {
    return this.#tasks[index] as TtyTask;
  }

  /** Settles every task still running (a build that never started), waits for listr, prints warnings. */
  async close(): Promise<void> {
    await Promise.all(this.#tasks.map((task) => task.finish()));
    await this.#running;
    for (const task of this.#tasks) for (const warning of task.warningsSeen()) this.#output.write(`WARNING: ${warning}\n`);
  }
}

class TtyTask extends StepTracker {
  readonly #label: string;
  readonly #startedMs = Date.now();
  #settle: ((error?: Error) => void) | undefined;
  #settled = false;

  constructor(label: string) {
    super(() => undefined);
    this.#label = label;
  }

  listrTask() {
    return {
      title: this.#title(),
      task: (_context: unknown, task: { title: string; output: string }) =>
        new Promise<void>((resolve, reject) => {
          const timer = setInterval(() => this.#draw(task), 100);
          this.#settle = (error?: Error) => {
            clearInterval(timer);
            this.#draw(task);
            if (error) reject(error);
            else resolve();
          };
          if (this.#settled) this.#settle(this.failure() ? new Error('failed') : undefined);
        }),
      rendererOptions: { outputBar: Infinity, persistentOutput: true },
    };
  }

  #title(): string {
    const steps = [...this.steps.values()];
    const done = steps.filter((step) => step.completedMs !== undefined).length;
    const seconds = ((Date.now() - this.#startedMs) / 1000).toFixed(1);
    return `${this.#label ? `${this.#label}: ` : ''}Building ${seconds}s (${done}/${steps.length})`;
  }

  #draw(task: { title: string; output: string }): void {
    task.title = this.#title();
    task.output = ttyFrame(this.steps.values(), Date.now()).join('\n');
  }

  warningsSeen(): readonly string[] {
    return this.warnings;
  }

  /** Settles this build's task (idempotent); the group's close() waits for the drawing to end. */
  override async finish(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    const failed = this.failure();
    this.#settle?.(failed ? new Error(`${failed.step} failed`) : undefined);
  }
}
