import { describe, expect, it } from 'vitest';
import { kmsFailure } from './kms-aws.ts';

const uri = 'awskms://127.0.0.1:4566/alias/release';

// The errors as @aws-sdk/client-kms throws them after its retries (observed against a local server
// that cuts every connection, and one that never answers).
describe('kmsFailure', () => {
  it('says a connection cut as a cut, though the SDK names it a TimeoutError', () => {
    const cut = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: { attempts: 3 } });
    expect(kmsFailure(uri, cut, 2_000, 'signing with')).toMatchObject({
      code: 'UNAVAILABLE',
      message: `the connection to KMS dropped while signing with ${uri} (socket hang up)`,
      hint: 'check the endpoint in the awskms:// URI and the network, then run the command again',
    });
  });

  it('says no answer within the timeout as such, with the flag to raise', () => {
    const silent = Object.assign(new Error('Connection timed out after 2000 ms'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    const error = kmsFailure(uri, silent, 2_000, 'reading the public key of');
    expect(error.message).toBe(`KMS did not answer within 2 s for ${uri}`);
    expect(error.hint).toMatch(/raise --sign-timeout/);
  });
});
