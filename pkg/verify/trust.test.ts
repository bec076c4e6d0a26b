import { describe, expect, it } from 'vitest';
import { keyFingerprint, loadTrust } from './trust.ts';
import { ecKeys, makeCa, makeLog, trustedRoot } from './test-sigstore.ts';

describe('loadTrust', () => {
  const log = makeLog();
  const ca = makeCa('test CA');
  const ctLog = { publicKey: ecKeys().publicKey };

  it('reads a trusted root into its CAs, logs and CT logs', () => {
    const trust = loadTrust({ keys: [], trustedRoot: trustedRoot({ log, ca, ctLog }) });
    expect(trust.hasTrustedRoot).toBe(true);
    expect(trust.material.tlogs).toHaveLength(1);
    expect(trust.material.ctlogs).toHaveLength(1);
    expect(trust.material.certificateAuthorities).toHaveLength(1);
  });

  it('names the part of a trusted root that cannot be read, after the parts that can', () => {
    const root = trustedRoot({ log, ca, ctLog }) as { ctlogs: Array<{ publicKey: { rawBytes: string } }> };
    const broken = { ...root, ctlogs: [root.ctlogs[0], { ...root.ctlogs[0], publicKey: { ...root.ctlogs[0]?.publicKey, rawBytes: Buffer.from('not a key').toString('base64') } }] };
    expect(() => loadTrust({ keys: [], trustedRoot: broken })).toThrow(/^the trusted root has a CT log \(ctlogs\[1\]\) that cannot be read: /);
  });

  it('keeps, for each trusted key, its SPKI and the fingerprint shown for it', () => {
    const { publicKey } = ecKeys();
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const [key] = loadTrust({ keys: [{ name: 'release', publicKeyPem: pem }] }).keys;
    expect(key?.spki.equals(publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(key?.fingerprint).toBe(keyFingerprint(pem));
  });
});
