// What kubectl trust's commands read besides their flags: the public keys a policy names (files,
// env://, k8s:// with the command's kubeconfig, awskms://) and the trusted root. Reads the
// environment and files: only cmd/ may.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { KeySigner, Policy } from '../pkg/policy/index.ts';
import { RegistryClient } from '../pkg/registry/client.ts';
import { dockerConfigCredentials } from '../pkg/registry/docker-config.ts';
import { parseReference } from '../pkg/registry/reference.ts';
import { keyFingerprint, loadTrust } from '../pkg/verify/check.ts';
import { loadPublicKey } from '../pkg/verify/keys.ts';
import type { TrustedKey, Verdict } from '../pkg/verify/types.ts';
import type { VerifyContext } from '../pkg/verify/verify-image.ts';
import type { KubeArgv } from './cluster-builders.ts';
import { CommandExit, VerifyExitCode } from './exit-codes.ts';

export interface ContextOptions {
  /** For k8s:// keys. */
  readonly kube: Omit<KubeArgv, 'builder'>;
  /** --trusted-root, else the policy's. */
  readonly trustedRoot: string | undefined;
  /** Registries to reach over plain HTTP (--allow-http-registry). */
  readonly allowHttp: readonly string[];
  /** --registry-timeout, where the command has it. */
  readonly registryTimeoutMs?: number;
  /** --kms-timeout, where the command has it: each request for an awskms:// key's public half. */
  readonly kmsTimeoutMs?: number;
}

/**
 * Everything a verification needs besides the images: the keys and trusted root loaded, checked to
 * be enough for the policy (before any registry is read), and a registry client with the user's
 * docker credentials. COSIGN_REPOSITORY and SIGSTORE_REKOR_PUBLIC_KEY are read as cosign reads them.
 */
export async function verifyContext(policy: Policy, options: ContextOptions, env: NodeJS.ProcessEnv): Promise<VerifyContext> {
  const keys = await loadKeys(options.kube, policy, env, options.kmsTimeoutMs);
  const trustedRoot = await readTrustedRoot(options.trustedRoot ?? policy.trustedRoot);
  const rekorPublicKeyPem = env.SIGSTORE_REKOR_PUBLIC_KEY ? await readFileOrFail(env.SIGSTORE_REKOR_PUBLIC_KEY, 'the Rekor public key named by SIGSTORE_REKOR_PUBLIC_KEY') : undefined;
  requireTrustFor(policy, trustedRoot !== undefined, rekorPublicKeyPem !== undefined);
  const trust = loadTrust({ keys, ...(trustedRoot !== undefined ? { trustedRoot } : {}), ...(rekorPublicKeyPem ? { rekorPublicKeyPem } : {}) });
  const signatureStore = env.COSIGN_REPOSITORY ? parseReference(env.COSIGN_REPOSITORY) : undefined;
  return {
    client: new RegistryClient({
      credentials: dockerConfigCredentials(env.DOCKER_CONFIG ?? join(homedir(), '.docker')),
      insecureRegistries: [...options.allowHttp, ...(signatureStore && options.allowHttp.length > 0 ? [signatureStore.registry] : [])],
      ...(options.registryTimeoutMs === undefined ? {} : { requestTimeoutMs: options.registryTimeoutMs }),
    }),
    trust,
    policy,
    fingerprints: new Map(keys.map((key) => [key.name, keyFingerprint(key.publicKeyPem)])),
    ...(signatureStore ? { signatureStore: { registry: signatureStore.registry, repository: signatureStore.repository } } : {}),
    checked: new Map(),
  };
}

/** The documented exit code of a set of verdicts: 2 if any is undecided, else 1 if any fails, else 0. */
export function exitWithVerdicts(verdicts: readonly Verdict[]): void {
  const outcomes = new Set(verdicts.map((verdict) => verdict.outcome));
  const exitCode = outcomes.has('undecided') ? VerifyExitCode.UNDECIDED : outcomes.has('fail') ? VerifyExitCode.FAIL : VerifyExitCode.PASS;
  if (exitCode !== VerifyExitCode.PASS) throw new CommandExit(exitCode);
}

/** Every key signer's public key, named by the signer; KMS asked with `kmsTimeoutMs` per request (default 30 s). */
export async function loadKeys(argv: Omit<KubeArgv, 'builder'>, policy: Policy, env: NodeJS.ProcessEnv, kmsTimeoutMs?: number): Promise<TrustedKey[]> {
  const keyed = policy.signers.filter((signer): signer is KeySigner => signer.kind === 'key');
  // k8s:// keys are read with the command's kubeconfig; the Kubernetes client loads only for them.
  const kubeSecret = keyed.some((signer) => signer.key.startsWith('k8s://'))
    ? (await import('./cluster-builders.ts')).secretReader({ ...argv, builder: '' })
    : undefined;
  return Promise.all(
    keyed.map(async (signer) => ({
      name: signer.name,
      publicKeyPem: await loadPublicKey(signer.key, { env: (name) => env[name], ...(kubeSecret ? { kubeSecret } : {}), ...(kmsTimeoutMs ? { kmsTimeoutMs } : {}) }),
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

/** Keyless signers and a required log need trust material; say so before reading any registry. */
function requireTrustFor(policy: Policy, hasTrustedRoot: boolean, hasRekorKey: boolean): void {
  if (!hasTrustedRoot && policy.signers.some((signer) => signer.kind === 'keyless')) {
    throw new KubectlBuildError('USAGE', 'keyless signers need a trusted root to check certificates against', {
      hint: 'pass --trusted-root trusted_root.json (or trustedRoot: in the policy file)',
    });
  }
  if (!hasTrustedRoot && !hasRekorKey && policy.rules.some((rule) => rule.transparencyLog === 'required')) {
    throw new KubectlBuildError('USAGE', 'the transparency log is required, and there is no trusted root to check log entries against', {
      hint: 'pass --trusted-root trusted_root.json (or set SIGSTORE_REKOR_PUBLIC_KEY), or --insecure-ignore-tlog for key signatures made without a log',
    });
  }
}

