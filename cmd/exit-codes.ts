// Exit codes, named and documented (README, "Exit codes"). Scripts and CI branch on them.
import type { ErrorCode } from '../pkg/errors/index.ts';

export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  CANCELLED: 130,
  TERMINATED: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'USAGE':
      return ExitCode.USAGE;
    case 'CANCELLED':
      return ExitCode.CANCELLED;
    case 'TERMINATED':
      return ExitCode.TERMINATED;
    default:
      return ExitCode.FAILURE;
  }
}

/**
 * `kubectl trust verify` answers a question, so its codes are the answer: 0 the policy holds, 1 it
 * does not (unsigned, wrong signer, tampered), 2 no answer (registry or log unreachable, bad trusted
 * root, bad policy file or flag). Every error is a "no answer"; only Ctrl-C keeps its own code.
 */
export const VerifyExitCode = { PASS: 0, FAIL: 1, UNDECIDED: 2 } as const;

export function verifyExitCodeFor(code: ErrorCode): number {
  return code === 'CANCELLED' ? ExitCode.CANCELLED : VerifyExitCode.UNDECIDED;
}

/** Thrown by a command that has said all it had to say: the process ends with this code, nothing more printed. */
export class CommandExit extends Error {
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
