import { createHash, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeStatementBundle } from '../sign/bundle.ts';
import type { Signer } from '../sign/keys.ts';
import { attestationStatement } from '../sign/pushed-attestations.ts';
import { checkLegacyAttestation, loadTrust } from './check.ts';
import { ecKeys, pemOf, spkiDer } from './test-sigstore.ts';

const IMAGE = `sha256:${createHash('sha256').update('image').digest('hex')}`;
const OTHER_IMAGE = `sha256:${createHash('sha256').update('another image').digest('hex')}`;
const ci = ecKeys();
const other = ecKeys();
const publicPem = (key: KeyObject) => pemOf(spkiDer(key), 'PUBLIC KEY');
const signerOf = (privateKey: KeyObject, publicKey: KeyObject): Signer => ({ description: 'test key', publicKeyPem: publicPem(publicKey), sign: async (data) => sign('sha256', data, privateKey) });
const trust = () => loadTrust({ keys: [{ name: 'ci', publicKeyPem: publicPem(ci.publicKey) }], now: new Date() });

/** A .att layer as kubectl build (and cosign attest) writes it: the signed DSSE envelope, its annotations. */
async function attLayer(signer: Signer, digest: string, tamper?: (envelope: { payload: string }) => void) {
  const bundle = JSON.parse((await makeStatementBundle(signer, attestationStatement('reg/repo', digest, 'https://slsa.dev/provenance/v1', { builder: 'x' }))).toString('utf8')) as {
    dsseEnvelope: { payload: string };
  };
  tamper?.(bundle.dsseEnvelope);
  const annotations = { 'dev.cosignproject.cosign/signature': '', predicateType: 'https://slsa.dev/provenance/v1' };
  return { format: 'legacy' as const, location: 'reg/repo:sha256-x.att (layer 1)', legacy: { payload: Buffer.from(JSON.stringify(bundle.dsseEnvelope)), annotations } };
}

describe('checkLegacyAttestation (a .att layer)', () => {
  it('is valid when the trusted key signed a statement naming this image', async () => {
    const checked = checkLegacyAttestation(trust(), await attLayer(signerOf(ci.privateKey, ci.publicKey), IMAGE), IMAGE);
    expect([checked.valid, checked.signer?.kind, checked.problem]).toEqual([true, 'key', undefined]);
  });

  it.each([
    ['another key signed it', async () => attLayer(signerOf(other.privateKey, other.publicKey), IMAGE), /not signed by any trusted key/],
    ['it names another image', async () => attLayer(signerOf(ci.privateKey, ci.publicKey), OTHER_IMAGE), /names sha256:[0-9a-f]+, not this image/],
    [
      'its statement was changed after signing',
      async () => attLayer(signerOf(ci.privateKey, ci.publicKey), IMAGE, (envelope) => (envelope.payload = Buffer.from(Buffer.from(envelope.payload, 'base64').toString().replace('"x"', '"y"')).toString('base64'))),
      /not signed by any trusted key/,
    ],
  ])('is invalid when %s', async (_case, make, problem) => {
    const checked = checkLegacyAttestation(trust(), await make(), IMAGE);
    expect(checked.valid).toBe(false);
    expect(checked.problem).toMatch(problem);
  });

  it('is invalid, with the reason, when the layer is not a DSSE envelope', () => {
    const checked = checkLegacyAttestation(trust(), { format: 'legacy', location: 'l', legacy: { payload: Buffer.from('not json'), annotations: {} } }, IMAGE);
    expect([checked.valid, checked.problem]).toEqual([false, 'the attestation layer is not a DSSE envelope']);
  });
});
