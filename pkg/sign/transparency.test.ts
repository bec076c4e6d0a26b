import { describe, expect, it } from 'vitest';
import { cosignBundleAnnotation, type TransparencyLogEntry } from './transparency.ts';

const entry = {
  logIndex: '42',
  logId: { keyId: Buffer.from('c0ffee', 'hex') },
  kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
  integratedTime: '1700000000',
  inclusionPromise: { signedEntryTimestamp: Buffer.from('set') },
  canonicalizedBody: Buffer.from('{"kind":"hashedrekord"}'),
} as unknown as TransparencyLogEntry;

describe("cosign's bundle annotation", () => {
  it('holds the SET and the entry, keys in cosign\'s order, numbers as numbers, the log id in hex', () => {
    expect(cosignBundleAnnotation(entry, 'https://rekor')).toBe(
      `{"SignedEntryTimestamp":"${Buffer.from('set').toString('base64')}","Payload":{"body":"${Buffer.from('{"kind":"hashedrekord"}').toString('base64')}","integratedTime":1700000000,"logIndex":42,"logID":"c0ffee"}}`,
    );
  });

  it('refuses a log entry without a signed timestamp (Rekor v2): legacy signatures need one', () => {
    expect(() => cosignBundleAnnotation({ ...entry, inclusionPromise: undefined }, 'https://log2')).toThrow('the transparency log at https://log2 gave no signed entry timestamp, which legacy signatures carry');
  });
});
