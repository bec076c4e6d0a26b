// Kubernetes API reads tried again: on a connection cut before the answer came (reset, EOF), as
// client-go asks a GET again, and on the answers of an API server that is briefly unwell (429, 500,
// 502, 503, 504, its Retry-After honoured; client-go asks again only when Retry-After is sent, which
// an API server going down does not always send). Reads only: asking twice cannot change the cluster, where a write
// whose answer was lost may have landed. Not tried again: a refused connection (nothing listens:
// fail at once) and a request --request-timeout gave up on (a silent server would cost the timeout
// once per attempt). The registry's policy: 3 attempts, 0.25 s then 0.5 s apart.
import { READ_RETRIES, isPassingStatus, retryDelayMs, sleep, type RetryPolicy } from '../registry/retry.ts';
import { codeIn } from './errors.ts';

const CUT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

interface ApiFailure {
  readonly code?: unknown;
  readonly headers?: Record<string, string>;
}

function retryable(error: unknown): boolean {
  const status = (error as ApiFailure | undefined)?.code;
  if (typeof status === 'number') return isPassingStatus(status);
  return codeIn(error, CUT_CODES) !== undefined;
}

/** `read()` (one API GET), asked again while it fails in a way worth asking again. */
export async function readAgain<T>(read: () => Promise<T>, policy: RetryPolicy = READ_RETRIES): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= policy.attempts || !retryable(error)) throw error;
      await sleep(retryDelayMs(policy, attempt, (error as ApiFailure).headers?.['retry-after']));
    }
  }
}
