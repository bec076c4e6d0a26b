import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../errors/index.ts';
import { inTotoStatement, makeBundle, preAuthenticationEncoding, publicKeyHint, STATEMENT_TYPE } from '../sign/bundle.ts';
import type { Signer } from '../sign/keys.ts';
import { BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, SIGNATURE_ANNOTATION } from '../sign/legacy.ts';
import { simpleSigningPayload } from '../sign/payload.ts';
import { checkSignature, keyFingerprint, loadTrust, type TrustInputs } from './check.ts';
import {
  bundleTlogEntry,
  cosignBundleAnnotation,
  ecKeys,
  issueLeaf,
  logEntryFor,
  makeCa,
  makeLog,
  pemOf,
  spkiDer,
  trustedRoot,
  type TestCa,
  type TestLog,
} from './test-sigstore.ts';
import type { FoundSignature } from './types.ts';

const IMAGE = `sha256:${createHash('sha256').update('image').digest('hex')}`;
const OTHER_IMAGE = `sha256:${createHash('sha256').update('another image').digest('hex')}`;
const NOW = new Date();
const MINUTES_AGO = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

const publicPem = (key: KeyObject) => pemOf(spkiDer(key), 'PUBLIC KEY');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const b64 = (text: string) => Buffer.from(text).toString('base64');

const ci = ecKeys();
const other = ecKeys();
const log = makeLog();
const ca = makeCa('test fulcio');
const ctLog = ecKeys();

function signerOf(privateKey: KeyObject, publicKeyPem: string): Signer {
  return { description: 'test key', publicKeyPem, sign: async (data) => sign('sha256', data, privateKey) };
}

function trust(inputs: Partial<TrustInputs> = {}) {
  return loadTrust({ keys: [{ name: 'ci', publicKeyPem: publicPem(ci.publicKey) }], now: NOW, ...inputs });
}

const withLog = () => trust({ trustedRoot: trustedRoot({ log, ca, ctLog }) });

function legacy(payload: Buffer, annotations: Record<string, string>): FoundSignature {
  return { format: 'legacy', location: 'reg/repo:sha256-x.sig (layer 1)', legacy: { payload, annotations } };
}

function bundleFound(json: object | string): FoundSignature {
  return { format: 'bundle', location: 'reg/repo@sha256:ref', bundle: Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)) };
}

/** A legacy signature by `key` over the payload for `digest`, logged in `inLog` (signed by `setBy`) when asked. */
function legacySignature(options: { key?: KeyObject; verifierPem?: string; digest?: string; annotations?: Record<string, string>; inLog?: TestLog; logTime?: Date; setBy?: KeyObject; bodyOf?: Buffer }) {
  const payload = simpleSigningPayload('reg/repo', options.digest ?? IMAGE, options.annotations);
  const signature = sign('sha256', payload, options.key ?? ci.privateKey).toString('base64');
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: signature };
  const verifierPem = options.verifierPem ?? publicPem(ci.publicKey);
  if (options.inLog) {
    const logged = options.bodyOf ?? payload;
    const loggedSignature = options.bodyOf ? sign('sha256', logged, options.key ?? ci.privateKey).toString('base64') : signature;
    const body = { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: sha256(logged) } }, signature: { content: loggedSignature, publicKey: { content: b64(verifierPem) } } } };
    annotations[BUNDLE_ANNOTATION] = cosignBundleAnnotation(logEntryFor(options.inLog, body, { time: options.logTime ?? NOW, index: 42, ...(options.setBy ? { signer: options.setBy } : {}) }));
  }
  return { payload, annotations };
}

/** A v0.3 bundle around a DSSE statement for `digest`, signed by `key`, with a certificate or key hint, logged when asked. */
function dsseBundle(options: { key: KeyObject; publicKeyPem: string; certificate?: Buffer; digest?: string; inLog?: TestLog; logTime?: Date }) {
  const statement = inTotoStatement(options.digest ?? IMAGE);
  const signature = sign('sha256', preAuthenticationEncoding(STATEMENT_TYPE, statement), options.key).toString('base64');
  const verifier = options.certificate ? pemOf(options.certificate) : options.publicKeyPem;
  const tlogEntries = options.inLog
    ? [
        bundleTlogEntry(
          options.inLog,
          logEntryFor(
            options.inLog,
            { apiVersion: '0.0.1', kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: sha256(statement) }, payloadHash: { algorithm: 'sha256', value: sha256(statement) }, signatures: [{ signature, verifier: b64(verifier) }] } },
            { time: options.logTime ?? NOW, index: 7 },
          ),
          'dsse',
        ),
      ]
    : [];
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      ...(options.certificate ? { certificate: { rawBytes: options.certificate.toString('base64') } } : { publicKey: { hint: publicKeyHint(options.publicKeyPem) } }),
      tlogEntries,
    },
    dsseEnvelope: { payload: statement.toString('base64'), payloadType: STATEMENT_TYPE, signatures: [{ sig: signature }] },
  };
}

describe('checkSignature with keys, legacy layout', () => {
  it('accepts a signature by a trusted key, with its annotations and no log', () => {
    const { payload, annotations } = legacySignature({ annotations: { team: 'ci', build: '7' } });
    const checked = checkSignature(trust(), legacy(payload, annotations), IMAGE);
    expect(checked).toMatchObject({ valid: true, signer: { kind: 'key', keyName: 'ci', fingerprint: keyFingerprint(publicPem(ci.publicKey)) }, annotations: { team: 'ci', build: '7' } });
    expect(checked.log).toBeUndefined();
    expect(checked.problem).toBeUndefined();
  });

  it('tries every trusted key, whatever the order', () => {
    const { payload, annotations } = legacySignature({});
    const keys = [
      { name: 'dev', publicKeyPem: publicPem(other.publicKey) },
      { name: 'ci', publicKeyPem: publicPem(ci.publicKey) },
    ];
    expect(checkSignature(trust({ keys }), legacy(payload, annotations), IMAGE).signer).toMatchObject({ keyName: 'ci' });
  });

  it('refuses a signature by a key that is not trusted', () => {
    const { payload, annotations } = legacySignature({ key: other.privateKey });
    const checked = checkSignature(trust(), legacy(payload, annotations), IMAGE);
    expect(checked).toMatchObject({ valid: false, problem: 'not signed by any trusted key' });
    expect(checked.signer).toBeUndefined();
  });

  it('refuses a signature copied from another image, naming the digest it signs', () => {
    const { payload, annotations } = legacySignature({ digest: OTHER_IMAGE });
    const checked = checkSignature(trust(), legacy(payload, annotations), IMAGE);
    expect(checked.valid).toBe(false);
    expect(checked.problem).toBe(`the payload names ${OTHER_IMAGE}, not this image`);
    expect(checked.signer).toMatchObject({ keyName: 'ci' });
  });

  it('refuses a tampered payload', () => {
    const { payload, annotations } = legacySignature({});
    const tampered = Buffer.from(payload.toString().replace('reg/repo', 'reg/evil'));
    expect(checkSignature(trust(), legacy(tampered, annotations), IMAGE)).toMatchObject({ valid: false, problem: 'not signed by any trusted key' });
  });

  it('accepts an Ed25519 key, as cosign does', () => {
    const ed = generateKeyPairSync('ed25519');
    const payload = simpleSigningPayload('reg/repo', IMAGE);
    const annotations = { [SIGNATURE_ANNOTATION]: sign(null, payload, ed.privateKey).toString('base64') };
    const keys = [{ name: 'ed', publicKeyPem: publicPem(ed.publicKey) }];
    expect(checkSignature(trust({ keys }), legacy(payload, annotations), IMAGE)).toMatchObject({ valid: true, signer: { keyName: 'ed' } });
  });

  it('reads the payload as cosign does: keys in any case, critical.type not checked', () => {
    const payload = Buffer.from(JSON.stringify({ Critical: { image: { 'Docker-Manifest-Digest': IMAGE }, type: 'something else' }, optional: { a: 'b', n: 1 } }));
    const annotations = { [SIGNATURE_ANNOTATION]: sign('sha256', payload, ci.privateKey).toString('base64') };
    expect(checkSignature(trust(), legacy(payload, annotations), IMAGE)).toMatchObject({ valid: true, annotations: { a: 'b' } });
  });
});

describe('checkSignature with log entries', () => {
  it('accepts a logged signature and reports the entry', () => {
    const { payload, annotations } = legacySignature({ inLog: log, logTime: MINUTES_AGO(3) });
    const checked = checkSignature(withLog(), legacy(payload, annotations), IMAGE);
    expect(checked).toMatchObject({ valid: true, log: { index: 42, logId: log.logId.toString('hex'), url: 'http://127.0.0.1:3000' } });
    expect(checked.log?.integratedTime.getTime()).toBe(Math.floor(MINUTES_AGO(3).getTime() / 1000) * 1000);
  });

  it('checks the entry with a Rekor public key alone (SIGSTORE_REKOR_PUBLIC_KEY)', () => {
    const { payload, annotations } = legacySignature({ inLog: log });
    const checked = checkSignature(trust({ rekorPublicKeyPem: publicPem(log.publicKey) }), legacy(payload, annotations), IMAGE);
    expect(checked).toMatchObject({ valid: true, log: { index: 42 } });
    expect(checked.log?.url).toBeUndefined();
  });

  it('leaves the log out when no log key can check the entry', () => {
    const { payload, annotations } = legacySignature({ inLog: log });
    const checked = checkSignature(trust(), legacy(payload, annotations), IMAGE);
    expect(checked.valid).toBe(true);
    expect(checked.log).toBeUndefined();
  });

  it('refuses an entry whose signed entry timestamp another key made', () => {
    const { payload, annotations } = legacySignature({ inLog: log, setBy: other.privateKey });
    const checked = checkSignature(withLog(), legacy(payload, annotations), IMAGE);
    expect(checked.valid).toBe(false);
    expect(checked.problem).toMatch(/signed entry timestamp does not verify/);
    expect(checked.log).toBeUndefined();
  });

  it('refuses a genuine entry made for another signature', () => {
    const { payload, annotations } = legacySignature({ inLog: log, bodyOf: simpleSigningPayload('reg/repo', OTHER_IMAGE) });
    expect(checkSignature(withLog(), legacy(payload, annotations), IMAGE)).toMatchObject({ valid: false, problem: expect.stringMatching(/log entry is for another signature/) });
  });

  it('refuses an entry that names another key than the one that verified', () => {
    const { payload, annotations } = legacySignature({ inLog: log, verifierPem: publicPem(other.publicKey) });
    expect(checkSignature(withLog(), legacy(payload, annotations), IMAGE)).toMatchObject({ valid: false, problem: 'the transparency log entry names another key than the signature\'s' });
  });

  it('refuses an unreadable log annotation only when there is a log to check it with', () => {
    const { payload, annotations } = legacySignature({});
    const broken = { ...annotations, [BUNDLE_ANNOTATION]: '{not json' };
    expect(checkSignature(withLog(), legacy(payload, broken), IMAGE)).toMatchObject({ valid: false, problem: 'the log entry annotation is not JSON' });
    expect(checkSignature(trust(), legacy(payload, broken), IMAGE).valid).toBe(true);
  });
});

describe('checkSignature with keys, bundle layout', () => {
  const ciSigner = signerOf(ci.privateKey, publicPem(ci.publicKey));

  it('accepts the bundle our signer writes', async () => {
    const checked = checkSignature(trust(), bundleFound(JSON.parse((await makeBundle(ciSigner, IMAGE)).toString()) as object), IMAGE);
    expect(checked).toMatchObject({ valid: true, signer: { kind: 'key', keyName: 'ci' }, annotations: {} });
  });

  it('accepts a logged bundle with its inclusion proof and checkpoint', () => {
    const bundle = dsseBundle({ key: ci.privateKey, publicKeyPem: publicPem(ci.publicKey), inLog: log });
    expect(checkSignature(withLog(), bundleFound(bundle), IMAGE)).toMatchObject({ valid: true, log: { index: 7 } });
  });

  it('refuses a bundle by an untrusted key, or for another image', async () => {
    const untrusted = await makeBundle(signerOf(other.privateKey, publicPem(other.publicKey)), IMAGE);
    expect(checkSignature(trust(), bundleFound(untrusted.toString()), IMAGE)).toMatchObject({ valid: false, problem: 'not signed by any trusted key' });
    const copied = await makeBundle(ciSigner, OTHER_IMAGE);
    expect(checkSignature(trust(), bundleFound(copied.toString()), IMAGE).problem).toBe(`the signed statement names ${OTHER_IMAGE}, not this image`);
  });

  it('reads annotations from the subject, as cosign v3 writes them', () => {
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: IMAGE.slice(7) }, annotations: { env: 'prod' } }], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }));
    const sig = sign('sha256', preAuthenticationEncoding(STATEMENT_TYPE, statement), ci.privateKey).toString('base64');
    const bundle = { ...dsseBundle({ key: ci.privateKey, publicKeyPem: publicPem(ci.publicKey) }), dsseEnvelope: { payload: statement.toString('base64'), payloadType: STATEMENT_TYPE, signatures: [{ sig }] } };
    expect(checkSignature(trust(), bundleFound(bundle), IMAGE)).toMatchObject({ valid: true, annotations: { env: 'prod' } });
  });

  it('refuses bundles older than v0.3, and other payload types', () => {
    const bundle = dsseBundle({ key: ci.privateKey, publicKeyPem: publicPem(ci.publicKey) });
    const old = { ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2' };
    expect(checkSignature(trust(), bundleFound(old), IMAGE).problem).toBe('the bundle is version 0.2, older than the 0.3 cosign reads');
    const other = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payloadType: 'text/plain' } };
    expect(checkSignature(trust(), bundleFound(other), IMAGE).problem).toBe('the bundle signs a text/plain payload, not an in-toto statement');
  });
});

describe('checkSignature with certificates', () => {
  const keyless = (notBefore: Date, options: { issuer?: TestCa; sct?: boolean } = {}) =>
    issueLeaf(options.issuer ?? ca, { email: 'dev@example.com', oidcIssuer: 'https://issuer.example.com', notBefore, ...(options.sct === false ? {} : { ctLog }) });

  function keylessLegacy(leaf: ReturnType<typeof keyless>, logTime?: Date) {
    const { payload, annotations } = legacySignature({ key: leaf.key, verifierPem: leaf.pem, ...(logTime ? { inLog: log, logTime } : {}) });
    return legacy(payload, { ...annotations, [CERTIFICATE_ANNOTATION]: leaf.pem, [CHAIN_ANNOTATION]: pemOf(ca.der) });
  }

  it('accepts a certificate valid at the time of its log entry, though expired now', () => {
    const leaf = keyless(MINUTES_AGO(30));
    const checked = checkSignature(withLog(), keylessLegacy(leaf, MINUTES_AGO(25)), IMAGE);
    expect(checked).toMatchObject({ valid: true, signer: { kind: 'keyless', identity: 'dev@example.com', issuer: 'https://issuer.example.com' }, log: { index: 42 } });
  });

  it('checks an expired certificate against now when there is no log entry', () => {
    const checked = checkSignature(withLog(), keylessLegacy(keyless(MINUTES_AGO(30))), IMAGE);
    expect(checked.valid).toBe(false);
    expect(checked.problem).toMatch(/^the certificate expired before the time of this check/);
    expect(checked.signer).toMatchObject({ kind: 'keyless', identity: 'dev@example.com' });
    expect(checkSignature(withLog(), keylessLegacy(keyless(MINUTES_AGO(2))), IMAGE).valid).toBe(true);
  });

  it('refuses a certificate from a CA the trusted root does not hold', () => {
    const checked = checkSignature(withLog(), keylessLegacy(keyless(MINUTES_AGO(2), { issuer: makeCa('test fulcio') })), IMAGE);
    expect(checked.problem).toMatch(/^the certificate does not chain to a CA of the trusted root/);
  });

  it('refuses a certificate without an SCT', () => {
    expect(checkSignature(withLog(), keylessLegacy(keyless(MINUTES_AGO(2), { sct: false })), IMAGE).problem).toBe('the certificate carries no SCT (cosign requires one)');
  });

  it('needs a trusted root for a certificate', () => {
    expect(checkSignature(trust(), keylessLegacy(keyless(MINUTES_AGO(2))), IMAGE)).toMatchObject({ valid: false, problem: 'no trusted root to check the certificate against' });
  });

  it('checks a certificate-carrying signature with a trusted key, as cosign --key does (the chain unchecked)', () => {
    const leaf = issueLeaf(makeCa('private CA'), { email: 'ci@example.com', oidcIssuer: '', notBefore: MINUTES_AGO(2), keyPair: ci });
    expect(checkSignature(trust(), keylessLegacy(leaf), IMAGE)).toMatchObject({ valid: true, signer: { kind: 'key', keyName: 'ci' } });
    const expired = issueLeaf(makeCa('private CA'), { email: 'ci@example.com', oidcIssuer: '', notBefore: MINUTES_AGO(30), keyPair: ci });
    expect(checkSignature(trust(), keylessLegacy(expired), IMAGE)).toMatchObject({ valid: false, signer: { kind: 'key' }, problem: expect.stringMatching(/^the certificate expired/) });
  });

  it('accepts a keyless bundle logged while its certificate was valid', () => {
    const leaf = keyless(MINUTES_AGO(30));
    const bundle = dsseBundle({ key: leaf.key, publicKeyPem: '', certificate: leaf.der, inLog: log, logTime: MINUTES_AGO(28) });
    expect(checkSignature(withLog(), bundleFound(bundle), IMAGE)).toMatchObject({ valid: true, signer: { kind: 'keyless', identity: 'dev@example.com' } });
  });
});

describe('checkSignature with malformed input', () => {
  const { payload, annotations } = legacySignature({});
  const cases: Array<[string, FoundSignature, string]> = [
    ['no signature', legacy(payload, {}), 'the layer carries no signature annotation'],
    ['bad base64', legacy(payload, { [SIGNATURE_ANNOTATION]: 'not base64!' }), 'the signature annotation is not base64'],
    ['bad certificate', legacy(payload, { ...annotations, [CERTIFICATE_ANNOTATION]: 'nope' }), 'the certificate annotation is not a PEM certificate'],
    ['garbage certificate', legacy(payload, { ...annotations, [CERTIFICATE_ANNOTATION]: pemOf(Buffer.from('garbage')) }), 'its certificate or signed timestamp cannot be read'],
    ['no layer', { format: 'legacy', location: 'x' }, 'the signature layer was not read'],
    ['bundle not JSON', bundleFound('{'), 'the bundle is not JSON'],
    ['bundle of no type', bundleFound({ mediaType: 'text/plain' }), 'the bundle\'s media type "text/plain" is not a Sigstore bundle\'s'],
    ['bundle without content', bundleFound({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }), 'the bundle is malformed (content, verificationMaterial)'],
  ];
  it.each(cases)('%s', (_, found, problem) => {
    expect(checkSignature(trust(), found, IMAGE)).toMatchObject({ valid: false, problem });
  });

  it('refuses a signed payload that is not JSON', () => {
    const junk = Buffer.from('not json');
    const signed = { [SIGNATURE_ANNOTATION]: sign('sha256', junk, ci.privateKey).toString('base64') };
    expect(checkSignature(trust(), legacy(junk, signed), IMAGE).problem).toBe('the payload is not JSON');
  });
});

describe('loadTrust', () => {
  it('refuses a trusted root of another media type, or with a broken certificate, in one sentence', () => {
    expect(() => trust({ trustedRoot: { mediaType: 'x' } })).toThrow(KubectlBuildError);
    const broken = { ...trustedRoot({ ca }), certificateAuthorities: [{ certChain: { certificates: [{ rawBytes: b64('junk') }] } }] };
    expect(() => trust({ trustedRoot: broken })).toThrow(/certificateAuthorities\[0\]/);
  });

  it('refuses a key that is not PEM', () => {
    expect(() => loadTrust({ keys: [{ name: 'ci', publicKeyPem: 'nope' }] })).toThrow('the key ci is not a PEM public key');
  });

  it('fingerprints the SPKI DER', () => {
    expect(keyFingerprint(publicPem(ci.publicKey))).toBe(sha256(spkiDer(ci.publicKey)));
  });
});
