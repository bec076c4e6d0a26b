import { describe, expect, it } from 'vitest';
import type { KubectlBuildError } from '../errors/index.ts';
import { fakeJwt } from './test-issuer.ts';
import { checkToken, formatDuration, readClaims } from './token.ts';

const now = Date.UTC(2026, 0, 1);
const base = { iss: 'https://issuer.example', aud: 'sigstore', sub: 'user-1', exp: now / 1000 + 300 };

function refusal(token: string, audience = 'sigstore'): KubectlBuildError {
  try {
    checkToken(token, { audience, source: '--identity-token', nowMs: now });
  } catch (error) {
    // Whatever the reason, the message and hint never quote the token or a part of it.
    const text = `${(error as KubectlBuildError).message} ${(error as KubectlBuildError).hint}`;
    for (const part of token.split('.')) if (part.length > 8) expect(text).not.toContain(part);
    return error as KubectlBuildError;
  }
  throw new Error('the token was accepted');
}

describe('identity tokens', () => {
  it('takes the verified email as the identity, else the subject', () => {
    expect(readClaims(fakeJwt({ ...base, email: 'a@b.c', email_verified: true }), 'x').identity).toBe('a@b.c');
    expect(readClaims(fakeJwt({ ...base, email: 'a@b.c', email_verified: false }), 'x').identity).toBe('user-1');
    expect(checkToken(fakeJwt({ ...base, aud: ['other', 'sigstore'] }), { audience: 'sigstore', source: 'x', nowMs: now }).expiresAtMs).toBe(now + 300_000);
  });

  it('refuses an expired token, another audience, no identity, not a JWT: in one sentence, without the token', () => {
    expect(refusal(fakeJwt({ ...base, exp: now / 1000 - 125 })).message).toBe('the identity token from --identity-token expired 2m5s ago');
    expect(refusal(fakeJwt({ ...base, aud: 'other-audience' })).message).toBe('the identity token from --identity-token is for the audience "other-audience", not "sigstore"');
    expect(refusal(fakeJwt({ ...base, sub: undefined })).message).toBe('the identity token from --identity-token names no issuer or no identity');
    expect(refusal('not-a-token-at-all-but-a-secret').message).toBe('the identity token from --identity-token is not a JWT');
    expect(refusal(fakeJwt({ ...base, exp: now / 1000 })).code).toBe('UNAUTHENTICATED');
  });

  it('formats durations as Go does', () => {
    expect([formatDuration(0), formatDuration(250), formatDuration(59_400), formatDuration(300_000), formatDuration(90_000)]).toEqual(['0s', '250ms', '59s', '5m0s', '1m30s']);
  });
});
