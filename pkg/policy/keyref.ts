// Key references in a policy: what kinds there are, which are paths (made relative to the policy
// file's folder, so the policy means the same wherever kubectl runs), and which we refuse outright.
// Loading the keys is the verifier's job; this only reads the text.
import { isAbsolute, join } from 'node:path';

/** Key references that are not paths, kept as written for the key loader. */
const KEY_SCHEMES = ['env', 'k8s', 'awskms', 'gcpkms', 'azurekms', 'hashivault'];

export const KEY_REFERENCE_HINT =
  'write a path to a public key file, env://VAR, k8s://[NAMESPACE/]SECRET, a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://), or a PEM block';

function isInlinePem(reference: string): boolean {
  return reference.trimStart().startsWith('-----BEGIN');
}

function schemeOf(reference: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(reference)?.[1];
}

/** Why the reference cannot name a public key, or undefined when it can. */
export function keyReferenceProblem(reference: string): string | undefined {
  // cosign's encrypted key and plain PKCS#8 both say PRIVATE KEY: a policy must never hold one.
  if (reference.includes('PRIVATE KEY-----')) return 'this is a private key; a policy holds public keys only';
  if (isInlinePem(reference)) return reference.includes('-----BEGIN PUBLIC KEY-----') ? undefined : 'an inline key must be a PEM "PUBLIC KEY" block';
  const scheme = schemeOf(reference);
  if (scheme === undefined || scheme === 'file' || KEY_SCHEMES.includes(scheme)) return undefined;
  return `unknown key scheme "${scheme}://"`;
}

/** Paths (and file://) become relative to `folder`; schemes and inline PEM stay as written. */
export function resolveKeyReference(reference: string, folder: string): string {
  const scheme = schemeOf(reference);
  if (isInlinePem(reference) || (scheme !== undefined && KEY_SCHEMES.includes(scheme))) return reference;
  return relativeTo(folder, scheme === 'file' ? reference.slice('file://'.length) : reference);
}

export function relativeTo(folder: string, path: string): string {
  return isAbsolute(path) ? path : join(folder, path);
}
