// The bound on a failure's wall time that the fault matrix asks of each cell (#17): a refused
// service is said at once, a silent one after the timeout the cell gives it (which a flag sets).
// Each bound is the documented figure (docs/faults.md, "slowest failure") with room for a loaded
// 2-core machine, and far below what a hang, or the timeouts before the fixes, took. The figure
// is the CLI's own wall time, node's start and any build included.
import { expect } from 'vitest';

export function expectEndedWithin(result: { readonly durationMs: number }, seconds: number, cell: string): void {
  expect(result.durationMs, `${cell}: the command took ${(result.durationMs / 1000).toFixed(1)} s, over its ${seconds} s bound`).toBeLessThan(seconds * 1000);
}
