// Turns a failed Solve into one sentence a user can act on. The daemon's message is kept (it names
// the Dockerfile line, the failing command and its exit code); we add the file, the log tail of the
// failing step, and a hint for the common causes.
import type * as grpc from '@grpc/grpc-js';
import { KubectlBuildError } from '../errors/index.ts';

export interface SolveFailureContext {
  readonly dockerfile: string;
  readonly failure?: { step: string; logTail: string[] };
  /** The daemon's address as the user gave it, for messages. */
  readonly daemon?: string;
}

export function buildErrorFromSolve(error: grpc.ServiceError, context: SolveFailureContext): KubectlBuildError {
  const details = (error.details || error.message || 'unknown error').replace(/^failed to solve: /, '');
  if (error.code === 14 /* UNAVAILABLE */) {
    return new KubectlBuildError('UNAVAILABLE', `lost the connection to the BuildKit daemon${context.daemon ? ` at ${context.daemon}` : ''}: ${details}`, {
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
  if (/failed to push|unexpected status from (PUT|POST|PATCH) request to|unauthorized|authentication required|denied/i.test(details)) {
    return pushFailure(details, error);
  }
  const tail = context.failure?.logTail ?? [];
  const log = tail.length > 0 ? `\n  ${tail.join('\n  ')}` : '';
  return new KubectlBuildError('BUILD_FAILED', `${details}${log}`, {
    hint: context.failure ? `the step "${context.failure.step}" failed; run with --progress=plain for its whole log` : 'run with --debug for details',
    cause: error,
  });
}

/**
 * The HTTP status in the daemon's "unexpected status from PUT request to URL: 500 Internal Server
 * Error" (or the older "unexpected status: 401 Unauthorized"): read after the URL, whose port may
 * hold any digits (a registry on port 38401 once read as a 401).
 */
function answeredStatus(details: string): number | undefined {
  const status = /unexpected status(?: from \w+ request to \S+)?: (\d{3})\b/i.exec(details)?.[1];
  return status === undefined ? undefined : Number(status);
}

/**
 * A push the daemon could not finish, by its cause: credentials refused, the registry out of reach
 * (the builder pushes, not this machine), or the registry failing. Named by its host when the
 * daemon's message names the image.
 */
function pushFailure(details: string, cause: grpc.ServiceError): KubectlBuildError {
  const host = (/failed to push ([^/\s]+)\//.exec(details) ?? /request to https?:\/\/([^/\s]+)\//.exec(details))?.[1];
  const registry = host ? `the registry ${host}` : 'the registry';
  const status = answeredStatus(details);
  if ((status !== undefined && [401, 403].includes(status)) || /unauthorized|authentication required|denied/i.test(details)) {
    return new KubectlBuildError('BUILD_FAILED', `${registry} refused the push: ${details}`, {
      hint: 'check the credentials for that registry in your docker config (docker login, DOCKER_CONFIG)',
      cause,
    });
  }
  if (/connection refused|connection reset|broken pipe|transport connection broken|EOF|i\/o timeout|no such host|network is unreachable|TLS handshake/i.test(details)) {
    return new KubectlBuildError('BUILD_FAILED', `the builder lost its connection to ${registry} while pushing: ${details}`, {
      hint: 'check that the registry is up and reachable from the builder (the builder pushes, not this machine), then build again',
      cause,
    });
  }
  if (status !== undefined && status >= 500 && status < 600) {
    return new KubectlBuildError('BUILD_FAILED', `${registry} failed the push: ${details}`, {
      hint: 'the registry answered with a server error; check its health, then build again',
      cause,
    });
  }
  return new KubectlBuildError('BUILD_FAILED', `the push to ${registry} failed: ${details}`, {
    hint: 'check the registry named above, then build again',
    cause,
  });
}
