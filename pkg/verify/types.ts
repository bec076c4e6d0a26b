// The values that flow through verification, from the registry to the verdict:
//   discover.ts finds FoundSignatures for a digest (legacy .sig layers, bundle referrers),
//   check.ts turns each into a CheckedSignature against the trust material (keys, trusted root),
//   pkg/policy evaluates the CheckedSignatures of an image against the policy: a Verdict.
// Nothing here does I/O; every field is something a user sees in the table or in -o json.

/** Where a signature was stored, in cosign's two layouts. */
export type SignatureFormat = 'legacy' | 'bundle';

/** One signature as the registry holds it, before any check. */
export interface FoundSignature {
  readonly format: SignatureFormat;
  /** Where it was read, for the user: "reg/repo:sha256-<hex>.sig (layer 2)" or "reg/repo@sha256:<referrer>". */
  readonly location: string;
  /** legacy: the simple-signing payload blob and its layer's annotations (signature, certificate, chain, bundle). */
  readonly legacy?: { readonly payload: Buffer; readonly annotations: Readonly<Record<string, string>> };
  /** bundle: the Sigstore bundle's JSON bytes as stored in the referrer's layer. */
  readonly bundle?: Buffer;
  /** Set when the signature could not even be read as one (a missing blob, a referrer of another subject): it is then invalid. */
  readonly problem?: string;
}

/** A public key the user trusts, by name (policy signer name, or the --key value). */
export interface TrustedKey {
  readonly name: string;
  readonly publicKeyPem: string;
}

/** Who made a signature, as far as the checks could establish it. */
export type SignerIdentity =
  | {
      readonly kind: 'key';
      /** sha256 of the key's SPKI DER, lowercase hex: what the table and JSON show. */
      readonly fingerprint: string;
      /** The trusted key (TrustedKey.name) it verified with. */
      readonly keyName: string;
    }
  | {
      readonly kind: 'keyless';
      /** The certificate's subject alternative name (email or URI). */
      readonly identity: string;
      /** The OIDC issuer from Fulcio's extension (1.3.6.1.4.1.57264.1.8, else .1.1). */
      readonly issuer: string;
    };

/** A transparency log entry that verified (inclusion promise/proof against the trusted root's log keys). */
export interface LogEntry {
  readonly index: number;
  readonly integratedTime: Date;
  /** The log's id (hex), and its URL when the trusted root names it. */
  readonly logId: string;
  readonly url?: string;
}

/** One signature after the cryptographic checks, before the policy. */
export interface CheckedSignature {
  readonly found: FoundSignature;
  /**
   * True when the signature is genuine for THIS digest: the signature verifies with `signer`'s key,
   * the payload names the image's digest, a certificate chains to a trusted CA (with its SCT), and a
   * log entry, when present, is valid. The log being required is the policy's question, not this one's.
   */
  readonly valid: boolean;
  /** Set when `valid`; for an invalid signature, whatever could be read (shown, never trusted). */
  readonly signer?: SignerIdentity;
  /** The verified log entry; undefined when there is none (or it did not verify: then `valid` is false). */
  readonly log?: LogEntry;
  /** The payload's annotations: legacy `optional`, or a bundle statement's subject annotations (cosign v3 -a). */
  readonly annotations: Readonly<Record<string, string>>;
  /** Why it is not valid, one phrase: "payload names sha256:… not this image", "signed by a key not trusted here". */
  readonly problem?: string;
}

/** An in-toto attestation stored for the image (cosign attest's layouts), checked like a signature. */
export interface CheckedAttestation extends CheckedSignature {
  /** The statement's predicate type, e.g. https://slsa.dev/provenance/v1 (as stored, even when invalid). */
  readonly predicateType: string;
}

/** The verdict on one image digest. */
export interface Verdict {
  /** pass: the policy holds; fail: it does not; undecided: something needed could not be reached or read. */
  readonly outcome: 'pass' | 'fail' | 'undecided';
  /** The rules that matched the image (by their name or pattern); empty when none did. */
  readonly rules: readonly string[];
  /** Per policy signer name: did a valid signature (meeting the rule's log/annotation demands) come from it. */
  readonly signersMet: readonly string[];
  /** What is missing, one phrase each: "signer ci (all of)", "2 of [dev, reviewer, qa], have 1", "no rule matches". */
  readonly missing: readonly string[];
}
