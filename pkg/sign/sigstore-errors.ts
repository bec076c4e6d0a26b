// Failures of Sigstore's services (Fulcio, Rekor) as @sigstore/sign reports them (an InternalError
// around an HTTPError or a fetch error) turned into one sentence: the service refused (4xx), broke
// (5xx), cannot be reached, or has a certificate we do not trust (a private CA: NODE_EXTRA_CA_CERTS).
// The services' own messages are about requests, never the token.
import { errorMessage, KubectlBuildError } from '../errors/index.ts';

export interface ServiceFailure {
  /** "Fulcio at https://...", "the transparency log at https://...". */
  readonly service: string;
  /** What was asked: "a certificate for a@b.c", "the entry". */
  readonly what: string;
  readonly refusedHint: string;
  readonly unreachableHint: string;
  /** How long each request waited (--sign-timeout), for the sentence of one that got no answer. */
  readonly timeoutMs?: number;
}

export function sigstoreServiceError(failure: ServiceFailure, error: unknown): KubectlBuildError {
  if (error instanceof KubectlBuildError) return error;
  const cause = (error as { cause?: unknown }).cause ?? error;
  const status = (cause as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new KubectlBuildError('SIGN_FAILED', `${failure.service} refused ${failure.what}: ${errorMessage(cause)} (HTTP ${status})`, { hint: failure.refusedHint });
  }
  if (status !== undefined) {
    return new KubectlBuildError('UNAVAILABLE', `${failure.service} failed on ${failure.what} (HTTP ${status})`, { hint: 'try again later' });
  }
  const code = (cause as { code?: string }).code;
  // make-fetch-happen's timeout: the service took the connection and never answered.
  if ((cause as { type?: string }).type === 'request-timeout') {
    const within = failure.timeoutMs === undefined ? '' : ` within ${failure.timeoutMs / 1000} s`;
    return new KubectlBuildError('UNAVAILABLE', `${failure.service} did not answer${within}, asked 3 times for ${failure.what}`, {
      hint: `${failure.unreachableHint}, or raise --sign-timeout`,
    });
  }
  if (code && UNTRUSTED_CERTIFICATE.has(code)) {
    return new KubectlBuildError('UNAVAILABLE', `${failure.service} answered with a certificate this machine does not trust (${code})`, {
      hint: 'for a service with a private CA, set NODE_EXTRA_CA_CERTS to the CA certificate (PEM file)',
    });
  }
  return new KubectlBuildError('UNAVAILABLE', `cannot reach ${failure.service} (${code ?? errorMessage(cause)})`, { hint: failure.unreachableHint });
}

/** Node's TLS errors that mean "the chain does not end at a CA we trust", not "no answer". */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** A CommonJS module's named exports, whether a bundler put them on the namespace or under default. */
export function commonJs<T extends object>(module: T, name: string): T {
  return (name in module ? module : (module as { default?: T }).default ?? module) as T;
}
