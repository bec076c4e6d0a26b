// A legacy `.sig` layer as the Sigstore bundle @sigstore/verify reads: a v0.1 bundle (the one
// version whose log entries carry only the signed entry timestamp cosign keeps) with a message
// signature over the payload, the certificate annotation as its verification material (or the
// public key's place, filled by the trusted key being tried), and the Rekor annotation as its
// log entry. The chain annotation is not read: like cosign with a trusted root, only the root's
// CAs and intermediates are trusted. Nothing here trusts anything; check.ts does the checking.
import { createHash } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, SIGNATURE_ANNOTATION } from '../sign/legacy.ts';
import { CheckProblem, readBundle } from './problem.ts';

const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

export interface LegacyBundle {
  readonly bundle: Bundle;
  /** What the signature covers: the payload blob. */
  readonly artifact: Buffer;
  /** The Rekor annotation is there but cannot be read: fatal only when there are log keys to check it with. */
  readonly logProblem?: string;
}

export function legacyToBundle(payload: Buffer, annotations: Readonly<Record<string, string>>): LegacyBundle {
  const encoded = annotations[SIGNATURE_ANNOTATION];
  if (!encoded) throw new CheckProblem('the layer carries no signature annotation');
  if (!strictBase64(encoded)) throw new CheckProblem('the signature annotation is not base64');
  const { verificationMaterial, logProblem } = layerMaterial(annotations);
  const json = {
    mediaType: BUNDLE_V01,
    verificationMaterial,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: encoded,
    },
  };
  return { bundle: readBundle(() => bundleFromJSON(json)), artifact: payload, ...(logProblem ? { logProblem } : {}) };
}

/**
 * A `.att` layer (cosign attest's legacy layout) as a v0.1 bundle: its blob is the signed DSSE
 * envelope, the layer's annotations give the certificate and the log entry as for a signature.
 */
export function legacyAttestationToBundle(envelope: Buffer, annotations: Readonly<Record<string, string>>): { bundle: Bundle; logProblem?: string } {
  let dsseEnvelope: unknown;
  try {
    dsseEnvelope = JSON.parse(envelope.toString('utf8'));
  } catch {
    throw new CheckProblem('the attestation layer is not a DSSE envelope');
  }
  const { verificationMaterial, logProblem } = layerMaterial(annotations);
  return { bundle: readBundle(() => bundleFromJSON({ mediaType: BUNDLE_V01, verificationMaterial, dsseEnvelope })), ...(logProblem ? { logProblem } : {}) };
}

/** The certificate annotation (else the place of a trusted key) and the Rekor annotation as a log entry. */
function layerMaterial(annotations: Readonly<Record<string, string>>): { verificationMaterial: object; logProblem?: string } {
  const certificate = annotations[CERTIFICATE_ANNOTATION];
  let logEntry: object | undefined;
  let logProblem: string | undefined;
  const rekor = annotations[BUNDLE_ANNOTATION];
  if (rekor) {
    try {
      logEntry = rekorBundleEntry(rekor);
    } catch (error) {
      logProblem = error instanceof CheckProblem ? error.message : 'the log entry annotation cannot be read';
    }
  }
  const verificationMaterial = {
    ...(certificate ? { x509CertificateChain: { certificates: [{ rawBytes: certificateDer(certificate) }] } } : { publicKey: { hint: '' } }),
    tlogEntries: logEntry ? [logEntry] : [],
  };
  return { verificationMaterial, ...(logProblem ? { logProblem } : {}) };
}

/**
 * Standard base64 that decodes and encodes back to itself: what cosign's decoder and its string
 * comparisons accept. The round trip alone decides: Node's decoder skips what is not base64 and
 * reads the URL-safe alphabet, and its encoder writes neither those nor a missing padding, so any
 * such text comes back different (a pattern check first only cost time, on every log entry body).
 */
export function strictBase64(value: string): boolean {
  return Buffer.from(value, 'base64').toString('base64') === value;
}

/** The first CERTIFICATE block of the annotation, as base64 DER (cosign reads the first one too). */
function certificateDer(pem: string): string {
  const body = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/.exec(pem)?.[1]?.replace(/\s+/g, '');
  if (!body || !strictBase64(body)) throw new CheckProblem('the certificate annotation is not a PEM certificate');
  return body;
}

interface RekorBundle {
  SignedEntryTimestamp?: unknown;
  Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown };
}

/** cosign's `dev.sigstore.cosign/bundle` annotation as a bundle's log entry (JSON form). */
function rekorBundleEntry(annotation: string): object {
  let parsed: RekorBundle;
  try {
    parsed = JSON.parse(annotation) as RekorBundle;
  } catch {
    throw new CheckProblem('the log entry annotation is not JSON');
  }
  const { SignedEntryTimestamp: set, Payload: entry } = parsed ?? {};
  const { body, integratedTime, logIndex, logID } = entry ?? {};
  // The signed entry timestamp covers these exact strings and numbers: anything that would not
  // survive a round trip through the bundle could never verify.
  if (typeof set !== 'string' || !strictBase64(set) || typeof body !== 'string' || !strictBase64(body)) {
    throw new CheckProblem('the log entry annotation lacks its body or signed entry timestamp');
  }
  if (!Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex) || typeof logID !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(logID)) {
    throw new CheckProblem('the log entry annotation has no valid time, index or log id');
  }
  let kind: unknown;
  let version: unknown;
  try {
    ({ kind, apiVersion: version } = JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as { kind?: unknown; apiVersion?: unknown });
  } catch {
    throw new CheckProblem('the log entry body is not a Rekor entry');
  }
  if (typeof kind !== 'string' || typeof version !== 'string') throw new CheckProblem('the log entry body is not a Rekor entry');
  return {
    logIndex: String(logIndex),
    logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
    kindVersion: { kind, version },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: set },
    canonicalizedBody: body,
  };
}
