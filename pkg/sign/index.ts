// Signing what was pushed: the digest the exporter reported (never a tag resolved again), in every
// repository the image was pushed to, with the signer the user chose. Each step is reported with
// its time (load key, sign, push signature).
import { errorMessage, KubectlBuildError } from '../errors/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { repositoryName, type ImageReference } from '../registry/reference.ts';
import { attachBundle, makeBundle } from './bundle.ts';
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

/** Signs in every repository of `images`; what happened is reported step by step through onStep. */
export async function signPushed(options: SignOptions): Promise<void> {
  const repositories = new Map<string, ImageReference>();
  for (const image of options.images) repositories.set(repositoryName(image), image);
  const legacy = options.format !== 'bundle';
  const bundle = options.format !== 'legacy';

  for (const [name, image] of repositories) {
    const target = { registry: image.registry, repository: image.repository, digest: options.digest };
    try {
      if (legacy) {
        const payload = simpleSigningPayload(name, options.digest, options.annotations);
        let started = Date.now();
        const signature = (await options.signer.sign(payload)).toString('base64');
        options.onStep?.(`signed ${name}@${options.digest} with ${options.signer.description}`, Date.now() - started);
        started = Date.now();
        const { tag, signatures } = await attachLegacySignature(options.client, target, payload, signature);
        options.onStep?.(`pushed the signature to ${name}:${tag} (${signatures} signature${signatures === 1 ? '' : 's'} there)`, Date.now() - started);
      }
      if (bundle) {
        let started = Date.now();
        const made = await makeBundle(options.signer, options.digest);
        options.onStep?.(`made a Sigstore bundle for ${name}@${options.digest} with ${options.signer.description}`, Date.now() - started);
        started = Date.now();
        const { referrer, fallbackTag } = await attachBundle(options.client, target, made);
        const where = fallbackTag ? `, listed under ${name}:${fallbackTag} (no referrers API)` : '';
        options.onStep?.(`pushed the bundle as the referrer ${name}@${referrer}${where}`, Date.now() - started);
      }
    } catch (error) {
      if (error instanceof KubectlBuildError && error.code === 'SIGN_FAILED') throw error;
      const message = errorMessage(error);
      throw new KubectlBuildError('SIGN_FAILED', `${name}@${options.digest} was pushed, but its signature could not be stored: ${message}`, {
        hint: (error instanceof KubectlBuildError ? error.hint : undefined) ?? 'sign it again once the registry accepts writes',
        cause: error,
      });
    }
  }
}
