// Follows BuildKit's build steps across status messages: merged by vertex digest, with their
// times, cached/error state and the tail of their logs. The printers build on it.
import type { StatusResponse, Timestamp } from '../buildkit/types.ts';
import type { ProgressWriter } from './index.ts';

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

export function timestampMs(timestamp: Timestamp): number {
  return Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
}
