// Build progress: the daemon's Status stream, rendered for a person (plain), a program (rawjson)
// or nobody (quiet). The writer keeps what it needs to explain a failure afterwards: the failing
// step's name and the tail of its log.
import type { StatusResponse } from '../buildkit/types.ts';
import { PlainPrinter } from './plain.ts';
import { StepTracker } from './tracker.ts';
import { TtyGroup } from './tty.ts';

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
    case 'tty': {
      // A group of one: finishing it also ends the drawing.
      const group = new TtyGroup(output, ['']);
      const writer = group.writer(0);
      return {
        write: (status) => writer.write(status),
        failure: () => writer.failure(),
        finish: async () => {
          await writer.finish();
          await group.close();
        },
      };
    }
    case 'rawjson':
      return new StepTracker((status) => output.write(`${JSON.stringify(status, bufferAsBase64)}\n`));
    case 'quiet':
      return new StepTracker(() => undefined);
    case 'plain':
      return new PlainPrinter(output);
  }
}

// rawjson writes bytes fields (log messages) as base64, as buildctl's rawjson does.
function bufferAsBase64(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

export { StepTracker, type Step } from './tracker.ts';
export { TtyGroup, ttyFrame } from './tty.ts';
