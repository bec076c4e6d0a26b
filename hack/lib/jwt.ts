// Compact JWS (JWT) signing with an ES256 key: all our OIDC issuer needs, from node:crypto alone.
import { createHash, generateKeyPairSync, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** The public half as a JWK with kid, use and alg, as a JWKS lists it. */
  readonly jwk: JsonWebKey;
}

/** A fresh P-256 key; its kid is the RFC 7638 thumbprint of the public JWK. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return { kid, privateKey, jwk: { kty, crv, x, y, kid, use: 'sig', alg: 'ES256' } };
}

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const header = { alg: 'ES256', typ: 'JWT', kid: key.kid };
  const input = `${encode(header)}.${encode(claims)}`;
  // JWS wants the raw r||s form, not the DER that node:crypto produces by default.
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Checks an ES256 JWT against a public JWK and returns its claims (for tests of the issuer). */
export function verifyJwt(token: string, jwk: JsonWebKey): Record<string, unknown> {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) throw new Error('not a compact JWS');
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: jwk, format: 'jwk', dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) throw new Error('JWT signature does not verify');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
