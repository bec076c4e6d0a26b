// Signing what was pushed: the digest the exporter reported (never a tag resolved again), in every
// repository the image was pushed to, with the signer the user chose. Each step is reported with
// its time (load key, sign, push signature).
import { KubectlBuildError } from '../errors/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { repositoryName, type ImageReference } from '../registry/reference.ts';
import { attachLegacySignature } from './legacy.ts';
import { simpleSigningPayload } from './payload.ts';
import type { Signer } from './keys.ts';

export { loadSigner, type Signer, type KeyOptions } from './keys.ts';

export type SignatureFormat = 'legacy' | 'bundle' | 'both';

export interface SignOptions {
  readonly client: RegistryClient;
  readonly signer: Signer;
  /** The pushed images (one per repository is enough: tags of one repository share signatures). */
  readonly images: readonly ImageReference[];
  /** The digest the build pushed. */
  readonly digest: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly format: SignatureFormat;
  readonly onStep?: (step: string, durationMs: number) => void;
}

export interface SignedImage {
  readonly reference: string;
  readonly signatureTag: string;
  readonly signatures: number;
}

export async function signPushed(options: SignOptions): Promise<SignedImage[]> {
  if (options.format !== 'legacy') {
    throw new KubectlBuildError('NOT_IMPLEMENTED', `--signature-format ${options.format} is not implemented in this version of kubectl-build`, {
      hint: 'use --signature-format legacy (every cosign verifies it)',
    });
  }
  const repositories = new Map<string, ImageReference>();
  for (const image of options.images) repositories.set(repositoryName(image), image);

  const signed: SignedImage[] = [];
  for (const [name, image] of repositories) {
    const payload = simpleSigningPayload(name, options.digest, options.annotations);
    let started = Date.now();
    const signature = (await options.signer.sign(payload)).toString('base64');
    options.onStep?.(`signed ${name}@${options.digest} with ${options.signer.description}`, Date.now() - started);
    started = Date.now();
    try {
      const { tag, signatures } = await attachLegacySignature(options.client, { registry: image.registry, repository: image.repository, digest: options.digest }, payload, signature);
      options.onStep?.(`pushed the signature to ${name}:${tag} (${signatures} signature${signatures === 1 ? '' : 's'} there)`, Date.now() - started);
      signed.push({ reference: `${name}@${options.digest}`, signatureTag: `${name}:${tag}`, signatures });
    } catch (error) {
      if (error instanceof KubectlBuildError && error.code !== 'SIGN_FAILED') {
        throw new KubectlBuildError('SIGN_FAILED', `${name}@${options.digest} was pushed, but its signature could not be stored: ${error.message}`, {
          hint: error.hint ?? 'sign it again once the registry accepts writes',
          cause: error,
        });
      }
      throw error;
    }
  }
  return signed;
}
