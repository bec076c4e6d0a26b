// Exit codes, named and documented (README, "Exit codes"). Scripts and CI branch on them.
import type { ErrorCode } from '../pkg/errors/index.ts';

export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  CANCELLED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'USAGE':
      return ExitCode.USAGE;
    case 'CANCELLED':
      return ExitCode.CANCELLED;
    default:
      return ExitCode.FAILURE;
  }
}
