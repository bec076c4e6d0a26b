import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../errors/index.ts';
import { unlessCancelled } from './cancel.ts';

const never = () => new Promise<never>(() => {});

describe('unlessCancelled', () => {
  it('settles as the work does while nothing is cancelled', async () => {
    await expect(unlessCancelled(Promise.resolve(7), new AbortController().signal, 'stopped', 'again')).resolves.toBe(7);
    await expect(unlessCancelled(Promise.reject(new Error('broken')), new AbortController().signal, 'stopped', 'again')).rejects.toThrow('broken');
  });

  it('rejects with CANCELLED, its message and hint, as soon as the signal aborts, without waiting for the work', async () => {
    const abort = new AbortController();
    const stopped = unlessCancelled(never(), abort.signal, 'cancelled while signing', 'sign again');
    abort.abort();
    await expect(stopped).rejects.toMatchObject({ code: 'CANCELLED', message: 'cancelled while signing', hint: 'sign again' });
  });

  it('rejects at once when the signal was already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(unlessCancelled(never(), abort.signal, 'stopped', 'again')).rejects.toBeInstanceOf(KubectlBuildError);
  });
});
