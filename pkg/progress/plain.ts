// Plain text progress, buildctl's format: for logs, pipes and CI.
import type { StatusResponse, Timestamp } from '../buildkit/types.ts';
import type { ProgressOutput } from './index.ts';
import { StepTracker, timestampMs } from './tracker.ts';

/** buildctl's plain format: "#N name", "#N 0.123 log line", "#N CACHED", "#N DONE 1.2s", "#N ERROR: ...". */
export class PlainPrinter extends StepTracker {
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
