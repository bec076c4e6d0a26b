// What kubectl trust's commands read besides their flags: the public keys a policy names (files,
// env://, k8s:// with the command's kubeconfig, awskms://) and the trusted root. Reads the
// environment and files: only cmd/ may.
import { readFile } from 'node:fs/promises';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { KeySigner, Policy } from '../pkg/policy/index.ts';
import { loadPublicKey } from '../pkg/verify/keys.ts';
import type { TrustedKey } from '../pkg/verify/types.ts';
import type { KubeArgv } from './cluster-builders.ts';

/** Every key signer's public key, named by the signer. */
export async function loadKeys(argv: Omit<KubeArgv, 'builder'>, policy: Policy, env: NodeJS.ProcessEnv): Promise<TrustedKey[]> {
  const keyed = policy.signers.filter((signer): signer is KeySigner => signer.kind === 'key');
  // k8s:// keys are read with the command's kubeconfig; the Kubernetes client loads only for them.
  const kubeSecret = keyed.some((signer) => signer.key.startsWith('k8s://'))
    ? (await import('./cluster-builders.ts')).secretReader({ ...argv, builder: '' })
    : undefined;
  return Promise.all(
    keyed.map(async (signer) => ({
      name: signer.name,
      publicKeyPem: await loadPublicKey(signer.key, { env: (name) => env[name], ...(kubeSecret ? { kubeSecret } : {}) }),
    })),
  );
}

export async function readTrustedRoot(path: string | undefined): Promise<unknown> {
  if (!path) return undefined;
  const text = await readFileOrFail(path, 'the trusted root');
  try {
    return JSON.parse(text);
  } catch {
    throw new KubectlBuildError('USAGE', `the trusted root ${path} is not JSON`, { hint: 'pass a trusted_root.json (cosign trusted-root create writes one)' });
  }
}

export async function readFileOrFail(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new KubectlBuildError('NOT_FOUND', `cannot read ${what} ${path}`, { hint: 'check the path' });
  }
}

