// The real cosign, v2 and v3, as the judge of signatures in integration tests. It runs offline:
// a local (here empty) trusted root instead of the public TUF repository, its own TUF cache folder,
// credentials from a DOCKER_CONFIG folder, never from the user's.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tool } from '../../hack/lib/paths.ts';

const run = promisify(execFile);

export const COSIGN_VERSIONS = ['cosign-v2', 'cosign-v3'] as const;
export type CosignBinary = (typeof COSIGN_VERSIONS)[number];

export interface CosignContext {
  /** A scratch folder for keys, the trusted root and cosign's TUF cache. */
  readonly dir: string;
  /** DOCKER_CONFIG folder with the registry's credentials. */
  readonly dockerConfigDir: string;
  /** More environment (KUBECONFIG for k8s:// keys). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface KeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly password: string;
}

export async function cosign(binary: CosignBinary, context: CosignContext, args: string[], password = ''): Promise<string> {
  const env = {
    ...process.env,
    ...context.env,
    DOCKER_CONFIG: context.dockerConfigDir,
    TUF_ROOT: join(context.dir, 'tuf'),
    COSIGN_PASSWORD: password,
  };
  try {
    // In the scratch folder: some commands (generate-key-pair k8s://...) write files where they run.
    const { stdout } = await run(tool(binary), args, { env, cwd: context.dir, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${binary} ${args[0]} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, { cause: error });
  }
}

export async function generateKeyPair(context: CosignContext, name = 'cosign'): Promise<KeyPair> {
  const password = `pw-${name}`;
  await cosign('cosign-v3', context, ['generate-key-pair', '--output-key-prefix', join(context.dir, name)], password);
  return { privateKey: join(context.dir, `${name}.key`), publicKey: join(context.dir, `${name}.pub`), password };
}

/** A trusted root that trusts no Sigstore service: enough for key-based verification without a log. */
export function offlineTrustedRoot(context: CosignContext): string {
  const file = join(context.dir, 'trusted_root.json');
  writeFileSync(file, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }));
  return file;
}

/** `cosign verify --key` without a transparency log; resolves to the verified payloads. */
export async function verifyWithKey(binary: CosignBinary, context: CosignContext, reference: string, publicKey: string): Promise<unknown[]> {
  const stdout = await cosign(binary, context, [
    'verify', '--key', publicKey, '--insecure-ignore-tlog=true', '--trusted-root', offlineTrustedRoot(context), reference,
  ]);
  return JSON.parse(stdout) as unknown[];
}
