// Why `buildctl dial-stdio` ended in a builder pod, said for the user. Once the tunnel has carried
// the daemon's answers, a non-zero end is the pod's daemon going away mid-build (its container
// killed, an out-of-memory kill being the usual one), not a builder image without buildctl.
import type { V1Status } from '@kubernetes/client-node';
import { KubectlBuildError } from '../errors/index.ts';

export interface DialStdioEnd {
  readonly pod: string;
  /** For messages: 'builder "buildkit"'. */
  readonly builder: string;
  /** The last line dial-stdio wrote to stderr, if any. */
  readonly said: string | undefined;
  readonly status: V1Status;
  /** Whether the daemon's bytes had come through the tunnel before it ended. */
  readonly carried: boolean;
}

/** 128 + 9: the process was killed by SIGKILL (the OOM killer, a container stopped without grace). */
const KILLED = 137;

export function dialStdioFailure(end: DialStdioEnd): KubectlBuildError {
  const exitCode = Number(/exit code (\d+)/.exec(end.status.message ?? '')?.[1] ?? Number.NaN);
  if (end.carried) {
    const how = exitCode === KILLED ? 'it was killed (SIGKILL, out of memory or the container stopped)' : `its connection ended (${end.said || end.status.message || 'no reason given'})`;
    return new KubectlBuildError('UNAVAILABLE', `lost the BuildKit daemon of the pod ${end.pod} of ${end.builder} during the build: ${how}, so nothing was built or pushed`, {
      hint: `run the build again; kubectl describe pod ${end.pod} says why its container stopped`,
    });
  }
  return new KubectlBuildError('UNAVAILABLE', `buildctl dial-stdio failed in the pod ${end.pod} of ${end.builder}: ${end.said || end.status.message || 'no reason given'}`, {
    hint: 'the builder image must contain buildctl; check the pod with kubectl logs',
  });
}
