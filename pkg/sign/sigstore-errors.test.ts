import { describe, expect, it } from 'vitest';
import { sigstoreServiceError } from './sigstore-errors.ts';

const failure = { service: 'Fulcio at https://fulcio.example', what: 'a certificate', refusedHint: 'refused', unreachableHint: 'check --fulcio-url' };

/** As @sigstore/sign reports a failed request: an error around the HTTP or network error. */
function wrapped(cause: object): Error {
  return Object.assign(new Error('error creating signing certificate'), { cause });
}

describe('sigstoreServiceError', () => {
  it('tells a refusal, a broken service, no answer and an untrusted certificate apart', () => {
    const refused = sigstoreServiceError(failure, wrapped(Object.assign(new Error('bad token'), { statusCode: 401 })));
    expect([refused.code, refused.message, refused.hint]).toEqual(['SIGN_FAILED', 'Fulcio at https://fulcio.example refused a certificate: bad token (HTTP 401)', 'refused']);
    const broken = sigstoreServiceError(failure, wrapped(Object.assign(new Error('oops'), { statusCode: 503 })));
    expect([broken.code, broken.message]).toEqual(['UNAVAILABLE', 'Fulcio at https://fulcio.example failed on a certificate (HTTP 503)']);
    const down = sigstoreServiceError(failure, wrapped(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })));
    expect([down.message, down.hint]).toEqual(['cannot reach Fulcio at https://fulcio.example (ECONNREFUSED)', 'check --fulcio-url']);
    const untrusted = sigstoreServiceError(failure, wrapped(Object.assign(new Error('unable to verify'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })));
    expect(untrusted.message).toBe('Fulcio at https://fulcio.example answered with a certificate this machine does not trust (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(untrusted.hint).toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it('says a service that took the request and never answered is silent, naming --sign-timeout', () => {
    const silent = sigstoreServiceError({ ...failure, timeoutMs: 2_000 }, wrapped(Object.assign(new Error('network timeout at: https://fulcio.example'), { type: 'request-timeout', code: 'FETCH_ERROR' })));
    expect([silent.code, silent.message, silent.hint]).toEqual([
      'UNAVAILABLE',
      'Fulcio at https://fulcio.example did not answer within 2 s, asked 3 times for a certificate',
      'check --fulcio-url, or raise --sign-timeout',
    ]);
  });
});
