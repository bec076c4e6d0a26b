// Reading an OIDC identity token without ever showing it: its claims are decoded (not verified:
// Fulcio verifies the signature against the issuer's keys) to fail early, in one sentence, on what
// Fulcio would refuse later: an expired token, a token for another audience, one with no identity.
// No message here contains the token or any part of it.
import { KubectlBuildError } from '../errors/index.ts';

export interface TokenClaims {
  readonly issuer: string;
  /** What Fulcio puts in the certificate: the verified email, else the subject. */
  readonly identity: string;
  readonly audiences: readonly string[];
  /** Expiry in milliseconds since the epoch (undefined: the token does not say). */
  readonly expiresAtMs?: number;
  readonly nonce?: string;
}

export interface TokenCheck {
  /** The audience Fulcio expects ("sigstore" for public Sigstore). */
  readonly audience: string;
  /** Where the token came from, for messages: "--identity-token", "the OIDC login". */
  readonly source: string;
  readonly nowMs?: number;
}

/** Decodes the claims of a JWT; a token that is not one is refused without quoting it. */
export function readClaims(token: string, source: string): TokenClaims {
  const parts = token.trim().split('.');
  let claims: Record<string, unknown>;
  try {
    if (parts.length !== 3) throw new Error('not three parts');
    claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (!claims || typeof claims !== 'object') throw new Error('claims are not an object');
  } catch {
    throw new KubectlBuildError('UNAUTHENTICATED', `the identity token from ${source} is not a JWT`, {
      hint: 'pass the OIDC ID token itself (three base64url parts separated by dots), or a file that holds it',
    });
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  // Fulcio takes an email only when the issuer verified it (as sigstore-js does).
  const identity = email && claims.email_verified === true ? email : typeof claims.sub === 'string' ? claims.sub : '';
  if (!issuer || !identity) {
    throw new KubectlBuildError('UNAUTHENTICATED', `the identity token from ${source} names no issuer or no identity`, {
      hint: 'Fulcio needs the iss claim and a verified email or a sub claim',
    });
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : typeof claims.aud === 'string' ? [claims.aud] : [];
  return {
    issuer,
    identity,
    audiences,
    ...(typeof claims.exp === 'number' ? { expiresAtMs: claims.exp * 1000 } : {}),
    ...(typeof claims.nonce === 'string' ? { nonce: claims.nonce } : {}),
  };
}

/** The claims of a token Fulcio can take now; a clear error otherwise. */
export function checkToken(token: string, check: TokenCheck): TokenClaims {
  const claims = readClaims(token, check.source);
  if (!claims.audiences.includes(check.audience)) {
    throw new KubectlBuildError('UNAUTHENTICATED', `the identity token from ${check.source} is for the audience ${describeAudiences(claims.audiences)}, not "${check.audience}"`, {
      hint: `ask the issuer for a token with the audience "${check.audience}" (GitHub Actions: core.getIDToken('${check.audience}'))`,
    });
  }
  const now = check.nowMs ?? Date.now();
  if (claims.expiresAtMs !== undefined && claims.expiresAtMs <= now) {
    throw new KubectlBuildError('UNAUTHENTICATED', `the identity token from ${check.source} expired ${formatDuration(now - claims.expiresAtMs)} ago`, {
      hint: 'get a fresh token (they live minutes), or leave out --identity-token to log in with the browser',
    });
  }
  return claims;
}

function describeAudiences(audiences: readonly string[]): string {
  return audiences.length === 0 ? '(none)' : audiences.map((audience) => `"${audience}"`).join(', ');
}

/** "200ms", "42s", "3m5s": how long, as Go prints durations (cosign's flags use that form too). */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}
