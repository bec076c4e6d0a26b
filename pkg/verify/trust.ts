// The trust material of one run, parsed once: the user's public keys (with their fingerprints) and
// either a trusted root (CAs, CT logs, transparency logs, TSAs) or, without one, a Rekor public key
// alone, as cosign takes from SIGSTORE_REKOR_PUBLIC_KEY. A trusted root wins over the Rekor key, as
// in cosign (its VerifyBundle reads the Rekor keys only when there is no trusted material).
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, VerificationError, type TrustMaterial } from '@sigstore/verify';
import { errorMessage, KubectlBuildError } from '../errors/index.ts';
import type { TrustedKey } from './types.ts';

/** The one media type cosign (sigstore-go's NewTrustedRootFromProtobuf) accepts. */
export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

export interface TrustInputs {
  readonly keys: readonly TrustedKey[];
  /** A parsed trusted_root.json (application/vnd.dev.sigstore.trustedroot+json;version=0.1). */
  readonly trustedRoot?: unknown;
  /** cosign's SIGSTORE_REKOR_PUBLIC_KEY: the Rekor log's key, used when there is no trusted root. */
  readonly rekorPublicKeyPem?: string;
  /** The time certificates are checked at when no log entry gives one (tests fix it). */
  readonly now?: Date;
}

/** A trusted key, parsed. */
export interface LoadedKey {
  readonly name: string;
  readonly key: KeyObject;
  /** Its SPKI DER, exported once: every log entry of a key signature is compared with it. */
  readonly spki: Buffer;
  readonly fingerprint: string;
}

export interface Trust {
  readonly keys: readonly LoadedKey[];
  /** CAs, CT logs, transparency logs and TSAs (all empty but the log with a Rekor key alone). */
  readonly material: TrustMaterial;
  /** A trusted root was given: certificates can be checked. */
  readonly hasTrustedRoot: boolean;
  now(): Date;
}

/** Parses the keys and the trusted root once per run; anything unreadable is a usage error. */
export function loadTrust(inputs: TrustInputs): Trust {
  const keys = inputs.keys.map((trusted): LoadedKey => {
    const key = publicKey(trusted.publicKeyPem, `the key ${trusted.name}`);
    const der = spki(key);
    return { name: trusted.name, key, spki: der, fingerprint: fingerprintOf(der) };
  });
  const fixed = inputs.now;
  const now = () => fixed ?? new Date();
  if (inputs.trustedRoot !== undefined) return { keys, material: trustedRootMaterial(inputs.trustedRoot), hasTrustedRoot: true, now };
  const tlogs = inputs.rekorPublicKeyPem === undefined ? [] : [rekorLog(inputs.rekorPublicKeyPem)];
  return { keys, material: { certificateAuthorities: [], timestampAuthorities: [], tlogs, ctlogs: [], publicKey: noKeyByHint }, hasTrustedRoot: false, now };
}

/** What the table and JSON show for a key: the SHA-256 of its SPKI DER, lowercase hex. */
export function keyFingerprint(publicKeyPem: string): string {
  return fingerprintOf(spki(publicKey(publicKeyPem, 'the public key')));
}

function fingerprintOf(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

export function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

function publicKey(pem: string, what: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch {
    throw new KubectlBuildError('USAGE', `${what} is not a PEM public key`, { hint: 'give the public key cosign generate-key-pair wrote (cosign.pub)' });
  }
}

// Keys are never found by the hint a signature carries: check.ts tries every trusted key itself.
function noKeyByHint(): never {
  throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: 'no key is chosen by hint' });
}

/** The Rekor key alone: its log id is the SHA-256 of its SPKI DER, as Rekor computes it. */
function rekorLog(pem: string): TrustMaterial['tlogs'][number] {
  const key = publicKey(pem, 'the Rekor public key');
  return {
    logID: createHash('sha256').update(spki(key)).digest(),
    baseURL: '',
    publicKey: key,
    validFor: { start: new Date(0), end: new Date(8_640_000_000_000_000) },
  };
}

function trustedRootMaterial(json: unknown): TrustMaterial {
  const fail = (what: string): never => {
    throw new KubectlBuildError('USAGE', `the trusted root ${what}`, { hint: 'make one with cosign trusted-root create, or use the one your Sigstore instance publishes' });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('is not a JSON object');
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  if (mediaType !== TRUSTED_ROOT_MEDIA_TYPE) return fail(`has media type ${JSON.stringify(mediaType)}, not ${TRUSTED_ROOT_MEDIA_TYPE}`);
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
  } catch (error) {
    return fail(`cannot be read: ${errorMessage(error)}`);
  }
  try {
    return toTrustMaterial(root, noKeyByHint);
  } catch {
    // Read again part by part, so that the message names the one that is wrong (only then: each
    // run of a verify reads the root, and its certificates and keys are parsed on every reading).
  }
  const none = { ...root, tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
  const parts = [
    ['certificateAuthorities', 'certificate authority'],
    ['timestampAuthorities', 'timestamp authority'],
    ['tlogs', 'transparency log'],
    ['ctlogs', 'CT log'],
  ] as const;
  for (const [field, what] of parts) {
    root[field].forEach((part: unknown, index: number) => {
      try {
        toTrustMaterial({ ...none, [field]: [part] });
      } catch (error) {
        fail(`has a ${what} (${field}[${index}]) that cannot be read: ${errorMessage(error)}`);
      }
    });
  }
  return toTrustMaterial(root, noKeyByHint);
}
