import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../errors/index.ts';
import { stopWhenFailed, unlessCancelled } from './cancel.ts';

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

describe('stopWhenFailed', () => {
  it('settles as the work does when nothing failed, with or without a failure to watch', async () => {
    await expect(stopWhenFailed(Promise.resolve(7), undefined, new AbortController())).resolves.toBe(7);
    await expect(stopWhenFailed(Promise.resolve(7), never(), new AbortController())).resolves.toBe(7);
    await expect(stopWhenFailed(Promise.reject(new Error('build broke')), never(), new AbortController())).rejects.toThrow('build broke');
  });

  it('aborts the work when the failure comes first, waits for the work to stop, then rejects with the failure, not the cancellation', async () => {
    const stop = new AbortController();
    let workEnded = false;
    const work = new Promise<number>((_, reject) =>
      stop.signal.addEventListener('abort', () =>
        setTimeout(() => {
          workEnded = true;
          reject(new KubectlBuildError('CANCELLED', 'build cancelled'));
        }, 20),
      ),
    );
    const login = new KubectlBuildError('UNAUTHENTICATED', 'the OIDC issuer refused the login');
    await expect(stopWhenFailed(work, Promise.reject(login), stop)).rejects.toBe(login);
    expect(stop.signal.aborted).toBe(true);
    expect(workEnded).toBe(true);
  });
});
