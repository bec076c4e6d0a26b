// Turns a failed Solve into one sentence a user can act on. The daemon's message is kept (it names
// the Dockerfile line, the failing command and its exit code); we add the file, the log tail of the
// failing step, and a hint for the common causes.
import type * as grpc from '@grpc/grpc-js';
import { KubectlBuildError } from '../errors/index.ts';

export interface SolveFailureContext {
  readonly dockerfile: string;
  readonly failure?: { step: string; logTail: string[] };
}

export function buildErrorFromSolve(error: grpc.ServiceError, context: SolveFailureContext): KubectlBuildError {
  const details = (error.details || error.message || 'unknown error').replace(/^failed to solve: /, '');
  if (error.code === 14 /* UNAVAILABLE */) {
    return new KubectlBuildError('UNAVAILABLE', `lost the connection to the BuildKit daemon: ${details}`, {
      hint: 'check that the builder is still running, then build again',
      cause: error,
    });
  }
  if (/dockerfile parse error|failed to parse dockerfile|unknown instruction/i.test(details)) {
    return new KubectlBuildError('BUILD_FAILED', `${context.dockerfile}: ${details}`, {
      hint: 'fix the Dockerfile at the line named above',
      cause: error,
    });
  }
  if (/failed to push|unexpected status.*40[13]|unauthorized|authentication required|denied/i.test(details)) {
    return new KubectlBuildError('BUILD_FAILED', `the registry refused the push: ${details}`, {
      hint: 'check the credentials for that registry in your docker config (docker login, DOCKER_CONFIG)',
      cause: error,
    });
  }
  const tail = context.failure?.logTail ?? [];
  const log = tail.length > 0 ? `\n  ${tail.join('\n  ')}` : '';
  return new KubectlBuildError('BUILD_FAILED', `${details}${log}`, {
    hint: context.failure ? `the step "${context.failure.step}" failed; run with --progress=plain for its whole log` : 'run with --debug for details',
    cause: error,
  });
}
