import { describe, expect, it } from 'vitest';
import { dialStdioFailure } from './tunnel-failure.ts';

const killed = { status: 'Failure', message: 'command terminated with non-zero exit code: command terminated with exit code 137' };

describe('dialStdioFailure', () => {
  it('names a daemon killed mid-build as such, not as a missing buildctl', () => {
    const error = dialStdioFailure({ pod: 'b-1', builder: 'builder "b"', said: undefined, status: killed, carried: true });
    expect(error.message).toBe('lost the BuildKit daemon of the pod b-1 of builder "b" during the build: it was killed (SIGKILL, out of memory or the container stopped), so nothing was built or pushed');
    expect(error.hint).toBe('run the build again; kubectl describe pod b-1 says why its container stopped');
  });

  it('keeps what dial-stdio said when the daemon ended another way mid-build', () => {
    const error = dialStdioFailure({ pod: 'b-1', builder: 'builder "b"', said: 'connection reset', status: { status: 'Failure', message: 'exit code 1' }, carried: true });
    expect(error.message).toMatch(/during the build: its connection ended \(connection reset\), so nothing/);
  });

  it('points at the builder image when the tunnel never carried anything', () => {
    const error = dialStdioFailure({ pod: 'b-1', builder: 'builder "b"', said: 'exec: "buildctl": executable file not found in $PATH', status: killed, carried: false });
    expect(error.message).toBe('buildctl dial-stdio failed in the pod b-1 of builder "b": exec: "buildctl": executable file not found in $PATH');
    expect(error.hint).toMatch(/must contain buildctl/);
  });
});
