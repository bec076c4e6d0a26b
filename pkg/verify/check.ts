// The cryptographic check of one stored signature, as `cosign verify` (v2.6, v3) judges it: the
// signature verifies with a trusted key, or with a certificate that chains to the trusted root
// (with its SCT, valid at the log's time or now); a log entry, when a known log can check it, is
// genuine and for this very signature; and the payload names this image's digest. Whether a log
// entry was required, and who had to sign, is the policy's question (pkg/policy), not this one's.
// Legacy layers become v0.1 bundles (legacy-adapter.ts); both layouts go through @sigstore/verify's
// Verifier for the signature, the log entries and signed timestamps, once the key is chosen here.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import type { X509Certificate } from '@sigstore/core';
import { toSignedEntity, Verifier, type SignedEntity } from '@sigstore/verify';
import { STATEMENT_TYPE } from '../sign/bundle.ts';
import { certificateIdentity, checkCertificate, checkValidAt, type CheckTime } from './certificate.ts';
import { simpleSigningClaims, statementClaims } from './claims.ts';
import { legacyAttestationToBundle, legacyToBundle } from './legacy-adapter.ts';
import { checkableEntries, checkEntryKey, integratedTime, logEntry, logsFor } from './log.ts';
import { asProblem, CheckProblem, readBundle } from './problem.ts';
import { spki, type LoadedKey, type Trust } from './trust.ts';
import type { CheckedSignature, FoundSignature, LogEntry, SignerIdentity } from './types.ts';

export { keyFingerprint, loadTrust, type Trust, type TrustInputs } from './trust.ts';

/** One signature, read into a bundle and what its payload must say. */
interface Subject {
  readonly bundle: Bundle;
  /** Legacy: the payload the message signature covers (a DSSE envelope carries its own). */
  readonly artifact?: Buffer;
  readonly logProblem?: string;
  /** Legacy only: cosign --key checks a certificate-carrying signature with the key, ignoring the chain. */
  readonly keyMayVouch: boolean;
  /** Bundles only: cosign v3 checks certificates at signed timestamps when the log gives no time. */
  readonly useSignedTimestamps: boolean;
  claims(imageDigest: string): Record<string, string>;
}

type SignatureContent = SignedEntity['signature'];
type Timestamp = SignedEntity['timestamps'][number];

/** Never throws for bad signature data: an invalid signature comes back with its problem. */
export function checkSignature(trust: Trust, found: FoundSignature, imageDigest: string): CheckedSignature {
  return outcome(found, () => verifySubject(trust, found.format === 'legacy' ? legacySubject(found) : bundleSubject(found), imageDigest));
}

/** The check's result, or the problem that made the signature invalid. */
function outcome(found: FoundSignature, check: () => Verified): CheckedSignature {
  try {
    const { signer, log, annotations } = check();
    return { found, valid: true, signer, ...(log ? { log } : {}), annotations };
  } catch (error) {
    const problem = asProblem(error);
    return { found, valid: false, annotations: {}, problem: problem.message, ...(problem.signer ? { signer: problem.signer } : {}) };
  }
}

/** A `.att` layer (cosign attest's legacy layout), checked as cosign verify-attestation checks it. */
export function checkLegacyAttestation(trust: Trust, found: FoundSignature, imageDigest: string): CheckedSignature {
  return outcome(found, () => {
    if (!found.legacy) throw new CheckProblem('the attestation layer was not read');
    const { bundle, logProblem } = legacyAttestationToBundle(found.legacy.payload, found.legacy.annotations);
    if (bundle.content.$case !== 'dsseEnvelope') throw new CheckProblem('the attestation layer is not a DSSE envelope');
    const envelope = bundle.content.dsseEnvelope;
    const subject: Subject = { bundle, ...(logProblem ? { logProblem } : {}), keyMayVouch: true, useSignedTimestamps: false, claims: (digest) => statementClaims(envelope.payload, digest) };
    return verifySubject(trust, subject, imageDigest);
  });
}

function legacySubject(found: FoundSignature): Subject {
  if (!found.legacy) throw new CheckProblem('the signature layer was not read');
  const { payload, annotations } = found.legacy;
  const legacy = legacyToBundle(payload, annotations);
  return { ...legacy, keyMayVouch: true, useSignedTimestamps: false, claims: (digest) => simpleSigningClaims(payload, digest) };
}

function bundleSubject(found: FoundSignature): Subject {
  if (!found.bundle) throw new CheckProblem('the bundle was not read');
  let json: { mediaType?: unknown };
  try {
    json = JSON.parse(found.bundle.toString('utf8')) as { mediaType?: unknown };
  } catch {
    throw new CheckProblem('the bundle is not JSON');
  }
  checkBundleVersion(json?.mediaType);
  const bundle = readBundle(() => bundleFromJSON(json));
  if (bundle.content.$case !== 'dsseEnvelope') throw new CheckProblem('the bundle holds a message signature, not the DSSE envelope cosign verify reads');
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== STATEMENT_TYPE) throw new CheckProblem(`the bundle signs a ${envelope.payloadType || 'untyped'} payload, not an in-toto statement`);
  return { bundle, keyMayVouch: false, useSignedTimestamps: true, claims: (digest) => statementClaims(envelope.payload, digest) };
}

/** cosign reads bundles of version 0.3 only (ociremote.Bundle's MinVersion, sigstore-go refuses 0.4+). */
function checkBundleVersion(mediaType: unknown): void {
  const text = typeof mediaType === 'string' ? mediaType : '';
  const match = /^application\/vnd\.dev\.sigstore\.bundle(?:\+json;version=(\d+)\.(\d+)|\.v(\d+)\.(\d+)(?:\.\d+)?\+json)$/.exec(text);
  if (!match) throw new CheckProblem(`the bundle's media type ${JSON.stringify(mediaType ?? null)} is not a Sigstore bundle's`);
  const [major, minor] = [Number(match[1] ?? match[3]), Number(match[2] ?? match[4])];
  if (major === 0 && minor < 3) throw new CheckProblem(`the bundle is version 0.${minor}, older than the 0.3 cosign reads`);
  if (major !== 0 || minor > 3) throw new CheckProblem(`the bundle is version ${major}.${minor}, newer than the 0.3 cosign reads`);
}

interface Verified {
  readonly signer: SignerIdentity;
  readonly log: LogEntry | undefined;
  readonly annotations: Record<string, string>;
}

function verifySubject(trust: Trust, subject: Subject, imageDigest: string): Verified {
  if (subject.logProblem && trust.material.tlogs.length > 0) throw new CheckProblem(subject.logProblem);
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(subject.bundle, subject.artifact);
  } catch {
    throw new CheckProblem('its certificate or signed timestamp cannot be read');
  }
  const entries = checkableEntries(trust.material, entity.tlogEntries);
  const content = signatureContent(entity.signature, subject.artifact);
  const chosen = chooseKey(trust, subject, entity, content, entries);
  try {
    const material = { ...trust.material, tlogs: logsFor(trust.material, entries), publicKey: () => ({ publicKey: chosen.key, validFor: () => true }) };
    // Thresholds 0: a missing log entry or timestamp is the policy's question; those present are all checked.
    new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify({
      signature: content,
      key: { $case: 'public-key', hint: '' },
      tlogEntries: entries,
      timestamps: chosen.timestamps,
    });
    const publicKeyDer = chosen.spki ?? spki(chosen.key);
    for (const entry of entries) checkEntryKey(entry, { ...(chosen.certificate ? { certificate: chosen.certificate } : {}), publicKeyDer });
    const first = entries[0];
    return { signer: chosen.signer, log: first && logEntry(trust.material, first), annotations: subject.claims(imageDigest) };
  } catch (error) {
    throw asProblem(error, chosen.signer);
  }
}

interface ChosenKey {
  readonly signer: SignerIdentity;
  readonly key: KeyObject;
  /** The key's SPKI DER, when already known (a trusted key's). */
  readonly spki?: Buffer;
  /** The certificate's DER, when the signature carries one (what its log entry must name). */
  readonly certificate?: Buffer;
  /** Signed timestamps the certificate was checked at: the Verifier must verify them. */
  readonly timestamps: Timestamp[];
}

/** The key the signature is checked with: a trusted key (any of them, never chosen by hint), or a trusted certificate's. */
function chooseKey(trust: Trust, subject: Subject, entity: SignedEntity, content: SignatureContent, entries: readonly TransparencyLogEntry[]): ChosenKey {
  if (entity.key.$case === 'public-key') {
    const trusted = trustedKeyFor(trust, content);
    if (!trusted) throw new CheckProblem('not signed by any trusted key');
    return { signer: keySigner(trusted), key: trusted.key, spki: trusted.spki, timestamps: [] };
  }
  const { certificate } = entity.key;
  const der = certificateDer(subject.bundle);
  const { times, timestamps } = certificateTimes(trust, subject, entity, entries);
  const identity = certificateIdentity(certificate);
  try {
    checkCertificate(trust, certificate, times);
    return { signer: identity, key: certificateKey(certificate), certificate: der, timestamps };
  } catch (error) {
    const trusted = subject.keyMayVouch ? trustedKeyFor(trust, content) : undefined;
    if (!trusted) throw asProblem(error, identity);
    const signer = keySigner(trusted);
    try {
      for (const time of times) checkValidAt(certificate, time);
    } catch (expired) {
      throw asProblem(expired, signer);
    }
    return { signer, key: trusted.key, spki: trusted.spki, certificate: der, timestamps: [] };
  }
}

/** When the signature existed, as far as can be shown: the log's times, else signed timestamps (bundles), else now. */
function certificateTimes(trust: Trust, subject: Subject, entity: SignedEntity, entries: readonly TransparencyLogEntry[]): { times: CheckTime[]; timestamps: Timestamp[] } {
  const logged = entries.flatMap((entry) => integratedTime(entry) ?? []);
  if (logged.length > 0) return { times: logged.map((at) => ({ at, source: 'the time of its log entry' })), timestamps: [] };
  const signed = subject.useSignedTimestamps && entries.length > 0 && trust.material.timestampAuthorities.length > 0 ? entity.timestamps.filter((timestamp) => timestamp.$case === 'timestamp-authority') : [];
  if (signed.length > 0) return { times: signed.map((timestamp) => ({ at: timestamp.timestamp.signingTime, source: 'its signed timestamp' })), timestamps: signed };
  return { times: [{ at: trust.now(), source: 'the time of this check (no verified log entry gives a signing time)' }], timestamps: [] };
}

function trustedKeyFor(trust: Trust, content: SignatureContent): LoadedKey | undefined {
  return trust.keys.find((trusted) => content.verifySignature(trusted.key));
}

function keySigner(trusted: LoadedKey): SignerIdentity {
  return { kind: 'key', fingerprint: trusted.fingerprint, keyName: trusted.name };
}

function certificateKey(certificate: X509Certificate): KeyObject {
  return createPublicKey({ key: certificate.publicKey, format: 'der', type: 'spki' });
}

function certificateDer(bundle: Bundle): Buffer {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'certificate') return material.certificate.rawBytes;
  if (material.$case === 'x509CertificateChain') return material.x509CertificateChain.certificates[0]?.rawBytes ?? Buffer.alloc(0);
  return Buffer.alloc(0);
}

/**
 * A message signature checked as cosign checks it: ECDSA and RSA over SHA-256 of the payload
 * (what @sigstore/verify does), Ed25519 over the payload itself (which @sigstore/verify cannot).
 * Each key's answer is kept: the Verifier checks the signature again with the key chooseKey found
 * it verifies with, and a repository view checks hundreds of signatures.
 */
function signatureContent(content: SignatureContent, artifact: Buffer | undefined): SignatureContent {
  const verify = (key: KeyObject) => (artifact && key.asymmetricKeyType === 'ed25519' ? safeVerify(artifact, key, content.signature) : content.verifySignature(key));
  const answers = new Map<KeyObject, boolean>();
  return {
    signature: content.signature,
    compareSignature: (signature) => content.compareSignature(signature),
    compareDigest: (digest) => content.compareDigest(digest),
    compareSignedDigest: (digest) => content.compareSignedDigest(digest),
    verifySignature: (key) => {
      const answer = answers.get(key) ?? verify(key);
      answers.set(key, answer);
      return answer;
    },
  };
}

function safeVerify(data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return cryptoVerify(null, data, key, signature);
  } catch {
    return false;
  }
}
