import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import { exitCodeFor } from './exit-codes.ts';
import { stoppedBy } from './stop-signals.ts';

describe('stoppedBy', () => {
  const cancelled = new KubectlBuildError('CANCELLED', 'build cancelled', { hint: 'nothing was pushed' });

  it('reports a cancellation by SIGTERM with the signal named and exit 143, the hint kept', () => {
    const error = stoppedBy('SIGTERM', cancelled) as KubectlBuildError;
    expect(error).toMatchObject({ code: 'TERMINATED', message: 'build cancelled (SIGTERM)', hint: 'nothing was pushed' });
    expect(exitCodeFor(error.code)).toBe(143);
  });

  it('leaves Ctrl-C (exit 130) and failures that are not a cancellation as they are', () => {
    expect(stoppedBy('SIGINT', cancelled)).toBe(cancelled);
    const failed = new KubectlBuildError('UNAVAILABLE', 'cannot reach the registry');
    expect(stoppedBy('SIGTERM', failed)).toBe(failed);
    expect(stoppedBy(undefined, cancelled)).toBe(cancelled);
  });
});
