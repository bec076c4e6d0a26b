// Signatures the real cosign made (testdata/cosign-signatures.json: how is written in it), checked
// offline: what our in-memory Sigstore cannot prove is that we read cosign's own bytes as cosign does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSignature, loadTrust } from './check.ts';
import type { FoundSignature } from './types.ts';

interface Fixture {
  readonly image: string;
  readonly publicKeyPem: string;
  readonly trustedRoot: { readonly tlogs: unknown[] } & Record<string, unknown>;
  readonly legacy: ReadonlyArray<{ readonly payload: string; readonly annotations: Record<string, string> }>;
  readonly bundles: ReadonlyArray<{ readonly verificationMaterial: Record<string, unknown> }>;
}

const fixture = JSON.parse(readFileSync(new URL('testdata/cosign-signatures.json', import.meta.url), 'utf8')) as Fixture;
const keys = [{ name: 'cosign.pub', publicKeyPem: fixture.publicKeyPem }];
// Long after the ten minutes the Fulcio certificates lived.
const later = new Date(Date.now() + 86_400_000);
const trust = loadTrust({ keys, trustedRoot: fixture.trustedRoot, now: later });

const keyless = (annotations: Record<string, string>) => 'dev.sigstore.cosign/certificate' in annotations;
const legacyOf = (withCertificate: boolean): FoundSignature => {
  const layer = fixture.legacy.find((candidate) => keyless(candidate.annotations) === withCertificate);
  if (!layer) throw new Error('fixture layer missing');
  return { format: 'legacy', location: 'fixture', legacy: { payload: Buffer.from(layer.payload), annotations: layer.annotations } };
};
const bundleOf = (withCertificate: boolean): FoundSignature => {
  const bundle = fixture.bundles.find((candidate) => 'certificate' in candidate.verificationMaterial === withCertificate);
  return { format: 'bundle', location: 'fixture', bundle: Buffer.from(JSON.stringify(bundle)) };
};
const KEY = { kind: 'key', keyName: 'cosign.pub' };
const TESTER = { kind: 'keyless', identity: 'tester@kubectl-build.example.com', issuer: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) };

describe('signatures made by cosign', () => {
  it('accepts cosign v2 legacy signatures: by key with -a, and keyless logged in Rekor', () => {
    expect(checkSignature(trust, legacyOf(false), fixture.image)).toMatchObject({ valid: true, signer: KEY, annotations: { team: 'ci' } });
    expect(checkSignature(trust, legacyOf(true), fixture.image)).toMatchObject({ valid: true, signer: TESTER, log: { index: 0 }, annotations: { who: 'keyless' } });
  });

  it('accepts cosign v3 bundles, annotations read from the statement subject', () => {
    expect(checkSignature(trust, bundleOf(false), fixture.image)).toMatchObject({ valid: true, signer: KEY, annotations: { team: 'ci' } });
    // The checkpoint is signed as "kubectl-build-rekor", a name the trusted root's URL does not hold.
    expect(checkSignature(trust, bundleOf(true), fixture.image)).toMatchObject({ valid: true, signer: TESTER, log: { index: 1 }, annotations: { who: 'keyless3' } });
  });

  it('checks the certificates against now when no log key can vouch for the time', () => {
    const unlogged = loadTrust({ keys, trustedRoot: { ...fixture.trustedRoot, tlogs: [] }, now: later });
    for (const found of [legacyOf(true), bundleOf(true)]) {
      const checked = checkSignature(unlogged, found, fixture.image);
      expect(checked).toMatchObject({ valid: false, signer: TESTER, problem: expect.stringMatching(/^the certificate expired before the time of this check/) });
      expect(checked.log).toBeUndefined();
    }
  });

  it('refuses them all for another digest', () => {
    const other = `sha256:${'0'.repeat(64)}`;
    for (const found of [legacyOf(false), legacyOf(true), bundleOf(false), bundleOf(true)]) {
      expect(checkSignature(trust, found, other).problem).toMatch(new RegExp(`names ${fixture.image}, not this image$`));
    }
  });
});
