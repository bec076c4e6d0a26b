// One error type for the whole product. Every failure a user can meet is raised as a
// KubectlBuildError with a code (tests assert on codes, cmd/ maps them to exit codes), a message that
// is one sentence about what went wrong, and a hint that says what to do next.

export type ErrorCode =
  | 'USAGE' // a flag or argument is wrong: exit 2
  | 'NOT_FOUND' // a file, context or resource the user named does not exist
  | 'UNAVAILABLE' // a daemon, registry or cluster cannot be reached
  | 'UNAUTHENTICATED' // credentials missing or refused
  | 'FORBIDDEN' // authenticated, but not allowed (Kubernetes RBAC)
  | 'BUILD_FAILED' // the build itself failed: a Dockerfile error, a failing RUN, a refused push
  | 'REGISTRY' // a registry answered with an error we cannot work around
  | 'SIGN_FAILED' // a signature could not be made or stored
  | 'CANCELLED' // the user pressed Ctrl-C: exit 130
  | 'TERMINATED' // stopped by SIGTERM: exit 143
  | 'NOT_IMPLEMENTED' // a command this version does not do yet
  | 'INTERNAL'; // a bug: the message asks for a report

export interface ErrorDetails {
  hint?: string;
  cause?: unknown;
}

export class KubectlBuildError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'KubectlBuildError';
    this.code = code;
    this.hint = details.hint;
  }
}

export function isKubectlBuildError(error: unknown): error is KubectlBuildError {
  return error instanceof KubectlBuildError;
}

/** The message of anything thrown (an Error's message, else the value as text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wraps anything thrown into a KubectlBuildError, keeping ours as they are. */
export function toKubectlBuildError(error: unknown): KubectlBuildError {
  if (isKubectlBuildError(error)) return error;
  const message = errorMessage(error);
  return new KubectlBuildError('INTERNAL', `unexpected failure: ${message}`, {
    hint: 'run again with --debug and report the output at the project issue tracker',
    cause: error,
  });
}
