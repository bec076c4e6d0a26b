// Which registry requests are tried again, and when. Only reads (GET, HEAD) are: asking twice cannot
// change what the registry holds. A write is never retried here: a PUT whose answer was lost may
// have landed (a signature stored, a tag moved), and sending it again would hide that from the user.
// Tried again: a connection refused or dropped before the answer was whole, and the answers a
// registry gives while it is briefly unwell (429, 500, 502, 503, 504). Not tried again: a request
// that got no answer in time (a blackhole would cost the timeout once per attempt).

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/** At most 3 attempts, 0.25 s then 0.5 s apart: a registry restarting or a proxy blinking, not an outage. */
export const READ_RETRIES: RetryPolicy = { attempts: 3, firstDelayMs: 250, maxDelayMs: 2_000 };

const PASSING_STATUSES = new Set([429, 500, 502, 503, 504]);
const DROPPED_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

export function isRetryableMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

export function isPassingStatus(status: number): boolean {
  return PASSING_STATUSES.has(status);
}

/** A connection refused or cut (also when wrapped as a cause); never a timeout. */
export function isDroppedConnection(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code && DROPPED_CONNECTION_CODES.has(code)) return true;
    if (current.message === 'socket hang up' || current.message === 'aborted') return true;
  }
  return false;
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): doubling from firstDelayMs, or the
 * registry's Retry-After in seconds when it sends one, never more than maxDelayMs.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter?: string): number {
  const asked = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
  return Math.min(asked ?? policy.firstDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
