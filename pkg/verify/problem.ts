// Why a signature is not valid, as one phrase for the table: our own findings (CheckProblem) and
// whatever @sigstore/verify and @sigstore/bundle throw, turned into words a user can act on.
import { ValidationError, type Bundle } from '@sigstore/bundle';
import { VerificationError } from '@sigstore/verify';
import { errorMessage } from '../errors/index.ts';
import type { SignerIdentity } from './types.ts';

/** A signature that is not genuine for this digest; `signer` is what could be read, never trusted. */
export class CheckProblem extends Error {
  readonly signer: SignerIdentity | undefined;

  constructor(phrase: string, signer?: SignerIdentity) {
    super(phrase);
    this.name = 'CheckProblem';
    this.signer = signer;
  }
}

/** Runs a step that reads a bundle (bundleFromJSON), turning a malformed one into a problem. */
export function readBundle(read: () => Bundle): Bundle {
  try {
    return read();
  } catch (error) {
    if (error instanceof ValidationError) throw new CheckProblem(`the bundle is malformed (${error.fields.join(', ')})`);
    throw new CheckProblem(`the bundle cannot be read: ${errorMessage(error)}`);
  }
}

const LOG = 'the transparency log entry';

/** The phrase for anything a check threw, with the signer it had read so far. */
export function asProblem(error: unknown, signer?: SignerIdentity): CheckProblem {
  if (error instanceof CheckProblem) return error.signer || !signer ? error : new CheckProblem(error.message, signer);
  return new CheckProblem(phrase(error), signer);
}

function phrase(error: unknown): string {
  if (!(error instanceof VerificationError)) return `it could not be checked: ${errorMessage(error)}`;
  const detail = error.message;
  switch (error.code) {
    case 'SIGNATURE_ERROR':
      return 'the signature does not match the signed content';
    case 'TLOG_INCLUSION_PROMISE_ERROR':
      return `${LOG}'s signed entry timestamp does not verify with the log's key (forged or altered)`;
    case 'TLOG_INCLUSION_PROOF_ERROR':
      return `${LOG}'s inclusion proof does not verify (${detail})`;
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return `${LOG} has neither a signed entry timestamp nor an inclusion proof`;
    case 'TLOG_BODY_ERROR':
      return `${LOG} is for another signature (${detail})`;
    case 'TLOG_ERROR':
      return `${LOG}s are not acceptable (${detail})`;
    case 'TIMESTAMP_ERROR':
      return `a signed timestamp does not verify (${detail})`;
    case 'CERTIFICATE_ERROR':
      return `the certificate does not verify (${detail})`;
    default:
      return `it does not verify (${detail})`;
  }
}
