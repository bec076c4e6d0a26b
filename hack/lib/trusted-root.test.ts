import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIGNING_CONFIG_MEDIA_TYPE, TRUSTED_ROOT_MEDIA_TYPE, logId, signingConfig, trustedRoot } from './trusted-root.ts';

function selfSignedCa(): X509Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'kb-trusted-root-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/O=kubectl-build/CN=test-ca', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return new X509Certificate(readFileSync(join(dir, 'cert.pem')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('trusted root', () => {
  const rekorKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const ctKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const validFrom = new Date('2026-01-01T00:00:00Z');

  it('names the CA chain, the Rekor key and the CT log key by their SPKI digests', () => {
    const ca = selfSignedCa();
    const root = trustedRoot({ fulcio: { url: 'http://f', chain: [ca] }, rekor: { url: 'http://r', publicKey: rekorKey }, ctLog: { url: 'http://c/p', publicKey: ctKey }, validFrom }) as {
      mediaType: string;
      tlogs: Array<{ baseUrl: string; publicKey: { rawBytes: string; keyDetails: string; validFor: { start: string } }; logId: { keyId: string } }>;
      ctlogs: Array<{ baseUrl: string; logId: { keyId: string } }>;
      certificateAuthorities: Array<{ subject: unknown; uri: string; certChain: { certificates: Array<{ rawBytes: string }> } }>;
    };
    expect(root.mediaType).toBe(TRUSTED_ROOT_MEDIA_TYPE);
    const spki = rekorKey.export({ type: 'spki', format: 'der' });
    expect(root.tlogs[0]).toMatchObject({ baseUrl: 'http://r', publicKey: { rawBytes: spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: validFrom.toISOString() } } });
    expect(root.tlogs[0]?.logId.keyId).toBe(createHash('sha256').update(spki).digest('base64'));
    expect(root.ctlogs[0]?.logId.keyId).toBe(logId(ctKey).toString('base64'));
    expect(root.certificateAuthorities[0]).toMatchObject({ uri: 'http://f', subject: { organization: 'kubectl-build', commonName: 'test-ca' } });
    expect(root.certificateAuthorities[0]?.certChain.certificates[0]?.rawBytes).toBe(ca.raw.toString('base64'));
  });

  it('leaves out the services that were not started', () => {
    expect(trustedRoot({ validFrom })).toMatchObject({ tlogs: [], ctlogs: [], certificateAuthorities: [] });
  });
});

describe('signing config', () => {
  it('lists Fulcio, the issuer and Rekor v1 as API version 1 services', () => {
    const config = signingConfig({ fulcioUrl: 'http://f', rekorUrl: 'http://r', issuerUrl: 'http://i', validFrom: new Date(0) });
    expect(config).toMatchObject({
      mediaType: SIGNING_CONFIG_MEDIA_TYPE,
      caUrls: [{ url: 'http://f', majorApiVersion: 1 }],
      oidcUrls: [{ url: 'http://i', majorApiVersion: 1 }],
      rekorTlogUrls: [{ url: 'http://r', majorApiVersion: 1 }],
      tsaUrls: [],
    });
  });
});
