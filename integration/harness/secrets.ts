// Looking for secrets in what a command printed, in every form a leak could take: a private key as
// PEM (PKCS#8 or SEC1, wrapped or not), its DER as base64 or hex, a JWK, a Buffer printed by
// util.inspect or JSON.stringify, the raw private scalar in base64, base64url, hex or as numbers;
// and passwords and tokens as they are. Every encoding of the key holds the scalar d, so the
// forms are d's: its hex, its bytes as numbers, and the stretches of base64 that stand for d
// whatever its offset in a longer blob (three alignments).
import { createPrivateKey } from 'node:crypto';

export interface Secret {
  /** What leaked, for the failure message: "the password", "d as base64 (offset 1)". */
  readonly name: string;
  readonly value: string;
}

/** The base64 characters that encode `bytes` whatever came before them (offset mod 3) and after. */
function base64Stretches(bytes: Buffer, alphabet: 'base64' | 'base64url'): Secret[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(alphabet);
    // 4 characters per 3 bytes: keep the groups made of d's bytes alone.
    const first = offset === 0 ? 0 : 1;
    const last = Math.floor((offset + bytes.length) / 3);
    return { name: `d as ${alphabet} (offset ${offset})`, value: encoded.slice(first * 4, last * 4) };
  });
}

/** Forms of the private key in `pem` (any PEM Node reads: PKCS#8, SEC1). */
export function privateKeyForms(pem: string): Secret[] {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  const d = Buffer.from(jwk.d as string, 'base64url');
  // util.inspect shows a Buffer's first 50 bytes: a PKCS#8 DER shows the first 14 of d.
  const head = d.subarray(0, 12);
  return [
    { name: 'd as hex', value: d.toString('hex') },
    { name: 'd as HEX', value: d.toString('hex').toUpperCase() },
    { name: 'd as spaced hex (util.inspect of a Buffer)', value: [...head].map((byte) => byte.toString(16).padStart(2, '0')).join(' ') },
    { name: 'd as numbers (JSON of a Buffer)', value: [...head].join(',') },
    ...base64Stretches(d, 'base64'),
    ...base64Stretches(d, 'base64url'),
  ];
}

/** The names of the secrets found in `output`, as printed or with all white space removed (PEM lines wrap). */
export function leaks(output: string, secrets: readonly Secret[]): string[] {
  const unwrapped = output.replace(/\s+/g, '');
  return secrets.filter(({ value }) => output.includes(value) || unwrapped.includes(value.replace(/\s+/g, ''))).map(({ name }) => name);
}
