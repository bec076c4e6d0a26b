// Who signed what in a repository: every tag (tags/list, page by page), resolved to its digest and
// judged like a single image. Tags stream through a window of `concurrency` verifications and come
// out in the registry's order as soon as each is ready, so memory stays flat in the number of tags;
// a digest shared by several tags is read and checked once (VerifyContext.checked).
import type { RegistryClient } from '../registry/client.ts';
import { resolveImage } from './discover.ts';
import { verifyImage, verifyResolved, type ImageReport, type VerifyContext } from './verify-image.ts';

// cosign's own artifacts live in the repository as tags: signatures, attestations, SBOMs, and the
// referrers fallback index. They are about images, not images to verify.
const COSIGN_ARTIFACT_TAG = /^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/;

export async function* verifyRepository(
  context: VerifyContext & { readonly client: RegistryClient },
  repository: { readonly registry: string; readonly repository: string; readonly name: string },
  concurrency: number,
): AsyncGenerator<ImageReport> {
  const window: Promise<ImageReport>[] = [];
  for await (const tag of context.client.listTags(repository.registry, repository.repository)) {
    if (COSIGN_ARTIFACT_TAG.test(tag)) continue;
    window.push(verifyTag(context, repository, tag));
    if (window.length >= Math.max(1, concurrency)) yield await (window.shift() as Promise<ImageReport>);
  }
  while (window.length > 0) yield await (window.shift() as Promise<ImageReport>);
}

async function verifyTag(context: VerifyContext, repository: { registry: string; repository: string; name: string }, tag: string): Promise<ImageReport> {
  const reference = { registry: repository.registry, repository: repository.repository, tag };
  const shown = `${repository.name}:${tag}`;
  try {
    return await verifyResolved(context, await resolveImage(context.client, reference), shown);
  } catch {
    // Resolution failed (the tag vanished meanwhile, the registry went away): the single-image path
    // turns that into an undecided report with its reason.
    return verifyImage(context, reference, shown);
  }
}
