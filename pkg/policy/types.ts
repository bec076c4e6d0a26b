// The signer policy as the rest of the product sees it, once loaded and checked: plain data (key
// references, glob and regexp texts as the user wrote them), so that it prints as JSON and exports
// to policy-controller or Kyverno without reverse-engineering compiled matchers.

/** The apiVersion and kind a policy file must declare. */
export const POLICY_API_VERSION = 'kubectl-build.dev/v1alpha1';
export const POLICY_KIND = 'SignerPolicy';

/** An exact text, or a regular expression that must match the whole value (anchored when used). */
export interface TextMatch {
  readonly kind: 'exact' | 'regexp';
  readonly value: string;
}

/** A signer known by its public key; the caller loads the key and gives us its fingerprint. */
export interface KeySigner {
  readonly kind: 'key';
  readonly name: string;
  /** A path (made relative to the policy file's folder), env://, k8s://, a KMS URI, or an inline PEM. */
  readonly key: string;
}

/** A signer known by its Fulcio certificate: the identity (SAN) and the OIDC issuer. */
export interface KeylessSigner {
  readonly kind: 'keyless';
  readonly name: string;
  readonly identity: TextMatch;
  readonly issuer: TextMatch;
}

export type PolicySigner = KeySigner | KeylessSigner;

/** What a rule requires; every clause given must hold. Each clause counts distinct signers. */
export interface Requirement {
  readonly all?: readonly string[];
  readonly anyOf?: readonly string[];
  readonly threshold?: { readonly count: number; readonly of: readonly string[] };
}

export interface Rule {
  readonly name?: string;
  /** How verdicts name the rule: its name, else its first image pattern. */
  readonly label: string;
  /** Globs over `registry/repository` (and `registry/repository:tag` when named by tag). */
  readonly images: readonly string[];
  readonly require: Requirement;
  /** required: a signature counts only with a verified transparency log entry. */
  readonly transparencyLog: 'required' | 'optional';
  /** Payload annotations every counted signature must carry, with these exact values. */
  readonly annotations: Readonly<Record<string, string>>;
  /** For an image index: each platform image must satisfy this rule too. */
  readonly platforms: boolean;
}

export interface Policy {
  /** The file it was read from (or a description such as "command-line flags"), for messages. */
  readonly source: string;
  readonly name?: string;
  /** A Sigstore trusted_root.json path, relative paths made relative to the policy file's folder. */
  readonly trustedRoot?: string;
  readonly signers: readonly PolicySigner[];
  readonly rules: readonly Rule[];
}

/** An image as rules match it: `registry/repository` (Docker Hub as index.docker.io/library/x) and the tag it was named by. */
export interface ImageName {
  readonly name: string;
  readonly tag?: string;
}
