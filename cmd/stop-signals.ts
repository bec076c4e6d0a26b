// Ctrl-C (SIGINT) and SIGTERM (a CI job cancelled, a pod or a terminal closing) stop a build the same
// way: the build is cancelled on the daemon and whatever the CLI was waiting on is given up. The exit
// code tells them apart as a shell would for a process killed by either (128 + the signal's number):
// 130 for Ctrl-C, 143 for SIGTERM, so that automation sees the same code whether the CLI ended itself
// or was killed. A second signal ends the process at once.
import { KubectlBuildError } from '../pkg/errors/index.ts';
import { ExitCode } from './exit-codes.ts';

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface StopListener {
  /** Aborted on the first signal. */
  readonly signal: AbortSignal;
  /** The signal that stopped the command, once one came. */
  received(): StopSignal | undefined;
  remove(): void;
}

const EXIT_CODES: Record<StopSignal, number> = { SIGINT: ExitCode.CANCELLED, SIGTERM: ExitCode.TERMINATED };

export function listenForStop(stderr: { write(text: string): unknown }): StopListener {
  const abort = new AbortController();
  let received: StopSignal | undefined;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = () => {
      if (received) process.exit(EXIT_CODES[received]);
      received = name;
      stderr.write(name === 'SIGINT' ? '\ncancelling (Ctrl-C again to quit at once)\n' : '\nstopping on SIGTERM (send it again to quit at once)\n');
      abort.abort(name);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: abort.signal,
    received: () => received,
    remove: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}

/** A cancellation caused by SIGTERM is reported as such, with its own exit code; anything else as it is. */
export function stoppedBy(received: StopSignal | undefined, error: unknown): unknown {
  if (received !== 'SIGTERM' || !(error instanceof KubectlBuildError) || error.code !== 'CANCELLED') return error;
  return new KubectlBuildError('TERMINATED', `${error.message} (SIGTERM)`, { ...(error.hint ? { hint: error.hint } : {}), cause: error });
}
