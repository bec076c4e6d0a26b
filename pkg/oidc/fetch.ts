// What the OIDC clients (the browser login, CI token endpoints) share about fetch: a deadline on top
// of the caller's signal, and a failed request named by its network error code.
import { errorMessage } from '../errors/index.ts';

export function withTimeout(ms: number, signal?: AbortSignal): AbortSignal {
  return signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
}

export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? errorMessage(error);
}
