// Work that cannot be cancelled itself (a registry request under way, read or write) but must not
// hold a cancelled command: the command stops when the user asks, and says what the work left
// behind, since a write that was under way may or may not have landed.
import { KubectlBuildError } from '../errors/index.ts';

/**
 * Settles as `work` does, or rejects with CANCELLED (`message`, `hint`) as soon as `signal` aborts,
 * leaving `work` to finish or fail unseen.
 */
export function unlessCancelled<T>(work: Promise<T>, signal: AbortSignal | undefined, message: string, hint: string): Promise<T> {
  if (!signal) return work;
  const cancelled = () => new KubectlBuildError('CANCELLED', message, { hint });
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(cancelled());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Settles as `work` does, unless `failed` rejects first: then `stop` is aborted (the build it
 * drives is cancelled, before it pushes what could not be used), and once `work` has settled, the
 * rejection is `failed`'s own error, not the cancellation it caused.
 */
export async function stopWhenFailed<T>(work: Promise<T>, failed: Promise<never> | undefined, stop: AbortController): Promise<T> {
  if (!failed) return work;
  const first = await Promise.race([work.then((value) => ({ value }), () => undefined), failed.catch((error: unknown) => ({ error }))]);
  if (first && 'value' in first) return first.value;
  if (first && 'error' in first) {
    stop.abort(first.error);
    await work.catch(() => undefined);
    throw first.error;
  }
  return work; // work failed first: its own error.
}
