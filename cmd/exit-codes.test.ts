import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeFor } from './exit-codes.ts';

describe('exitCodeFor', () => {
  it('maps usage errors to 2, cancellation to 130, SIGTERM to 143 and every other failure to 1', () => {
    expect(exitCodeFor('USAGE')).toBe(ExitCode.USAGE);
    expect(exitCodeFor('CANCELLED')).toBe(130);
    expect(exitCodeFor('TERMINATED')).toBe(143);
    for (const code of ['NOT_FOUND', 'UNAVAILABLE', 'UNAUTHENTICATED', 'NOT_IMPLEMENTED', 'INTERNAL'] as const) {
      expect(exitCodeFor(code)).toBe(ExitCode.FAILURE);
    }
  });
});
