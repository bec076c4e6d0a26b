// A test that cannot run on this machine says why: the reason goes into the test's metadata, which
// the JSON report carries, and `make test`'s closing lines print it (hack/test-summary.ts refuses a
// skip without one). Use it instead of it.skipIf, whose reason no report can see.
import type { TestContext } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped on this machine, for the closing lines of make test. */
    skipReason?: string;
  }
}

/** Skips the running test when `reason` is a string, recording the reason; does nothing for undefined. */
export function skipUnlessPossible(context: TestContext, reason: string | undefined): void {
  if (reason === undefined) return;
  context.task.meta.skipReason = reason;
  context.skip(reason);
}
