// Public keys to verify with, named as cosign's --key names them: a PEM file, env://VAR, k8s://[NS/]SECRET
// (the Secret `cosign generate-key-pair k8s://` writes: its cosign.pub), awskms://[ENDPOINT]/KEY (the
// key's public half, asked of KMS), or a PEM block written inline (policy files). A private key file
// is accepted too, as cosign accepts it: only its public half is kept.
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KubectlBuildError } from '../errors/index.ts';
import { readK8sKey } from '../sign/k8s-key.ts';

export interface PublicKeySources {
  /** Reads an environment variable (env:// keys). */
  readonly env: (name: string) => string | undefined;
  /** Reads a Secret's data (k8s:// keys), with the kubeconfig the command uses. */
  readonly kubeSecret?: (namespace: string | undefined, name: string) => Promise<Readonly<Record<string, Buffer>>>;
  /** How long each KMS request (awskms:// keys) may wait for an answer (--kms-timeout). */
  readonly kmsTimeoutMs?: number;
}

const UNSUPPORTED_KMS = ['gcpkms', 'azurekms', 'hashivault'];

/** The PEM (SPKI) of the public key a reference names; fails in one sentence when it cannot be had. */
export async function loadPublicKey(reference: string, sources: PublicKeySources): Promise<string> {
  if (reference.trimStart().startsWith('-----BEGIN')) return toSpkiPem(reference, 'the inline key');
  const scheme = /^([a-z0-9]+):\/\//.exec(reference)?.[1];
  if (scheme === 'env') {
    const name = reference.slice('env://'.length);
    const pem = sources.env(name);
    if (!pem) throw new KubectlBuildError('NOT_FOUND', `the environment variable ${name} named by ${reference} is not set`, { hint: `export ${name} with the PEM of the public key` });
    return toSpkiPem(pem, reference);
  }
  if (scheme === 'k8s') return k8sPublicKey(reference, sources);
  if (scheme === 'awskms') {
    // The AWS SDK loads only for this scheme; KMS answers with the public key, the private one never leaves it.
    const { awsKmsSigner } = await import('../sign/kms-aws.ts');
    return (await awsKmsSigner(reference, sources.env, sources.kmsTimeoutMs, '--kms-timeout')).publicKeyPem;
  }
  if (scheme && UNSUPPORTED_KMS.includes(scheme)) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', `${scheme}:// keys are not implemented in this version of kubectl-build`, {
      hint: 'export the public key to a PEM file (cosign public-key --key ...) and pass that file',
    });
  }
  if (scheme && scheme !== 'file') {
    throw new KubectlBuildError('USAGE', `unknown key scheme "${scheme}://" in ${reference}`, {
      hint: 'use a PEM file, env://VAR, k8s://NAMESPACE/SECRET or awskms://...',
    });
  }
  const path = scheme === 'file' ? reference.slice('file://'.length) : reference;
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch {
    throw new KubectlBuildError('NOT_FOUND', `cannot read the public key ${path}`, { hint: 'check the path of the key (cosign generate-key-pair writes cosign.pub)' });
  }
  return toSpkiPem(pem, path);
}

async function k8sPublicKey(reference: string, sources: PublicKeySources): Promise<string> {
  const { pem } = await readK8sKey(reference, 'cosign.pub', sources.kubeSecret, 'point KUBECONFIG (or --kubeconfig) at the cluster holding the key');
  return toSpkiPem(pem, reference);
}

/** Any public key, certificate or unencrypted private key PEM, as the SPKI PEM of its public key. */
function toSpkiPem(pem: string, description: string): string {
  if (/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem)) {
    throw new KubectlBuildError('USAGE', `${description} is an encrypted private key, not a public key`, { hint: 'pass the public key (cosign.pub) to verify with' });
  }
  try {
    return createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    throw new KubectlBuildError('USAGE', `${description} is not a public key PEM`, { hint: 'pass a PEM public key, such as the cosign.pub of cosign generate-key-pair' });
  }
}
