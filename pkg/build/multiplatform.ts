// A build for several platforms: each platform solved on its own (in parallel) and pushed by
// digest, then the CLI assembles the list over them and pushes it under every tag. One platform
// failing cancels the others and no list is pushed; the error names the platform. With attestations
// each platform's push is an index (image + attestation manifest): the list takes both, and only the
// images are its children.
import type { BuilderAddress } from '../buildkit/address.ts';
import { KubectlBuildError, toKubectlBuildError } from '../errors/index.ts';
import { TtyGroup } from '../progress/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { platformName } from '../registry/attestation-manifest.ts';
import { assembleList } from '../registry/manifest-list.ts';
import { parseReference } from '../registry/reference.ts';
import { unlessCancelled } from './cancel.ts';
import { pushesImage, withoutTag } from './plan.ts';
import { runBuild, writeResultFiles, type BuildResult, type RunBuildOptions } from './run.ts';

export interface MultiPlatformOptions extends RunBuildOptions {
  readonly platforms: readonly string[];
  readonly client: RegistryClient;
  /** Where each platform builds (a cluster builder's pod that runs it natively); default: options.builder. */
  readonly builderFor?: (platform: string) => Promise<{ readonly builder: BuilderAddress; readonly builderFailure?: Promise<never> }>;
}

export interface MultiPlatformResult extends BuildResult {
  readonly children: ReadonlyArray<{ readonly platform: string; readonly digest: string }>;
}

export async function runMultiPlatformBuild(options: MultiPlatformOptions): Promise<MultiPlatformResult> {
  const started = Date.now();
  const tags = options.build.tags;
  if (!pushesImage(options.build) || tags.length === 0) {
    throw new KubectlBuildError('USAGE', 'building several platforms needs --push and -t: the list is assembled in the registry', {
      hint: 'add --push -t REGISTRY/IMAGE:TAG, or build one --platform at a time',
    });
  }
  // --annotation index:...: on the list the CLI assembles, not on each platform's push.
  const { platformAnnotations, listAnnotations } = splitIndexAnnotations(options.build.annotations ?? {});
  const abort = new AbortController();
  options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  // One view for all platforms: on a terminal a live task per platform, else each line labelled.
  const group = options.progress === 'tty' ? new TtyGroup(options.progressOutput, options.platforms) : undefined;
  const children = await Promise.all(
    options.platforms.map(async (platform, index) => {
      try {
        const result = await runBuild({
          ...options,
          ...(options.builderFor ? await options.builderFor(platform) : {}),
          build: { ...options.build, platform, push: true, pushByDigest: true, annotations: platformAnnotations },
          ...(group ? { progressWriter: group.writer(index) } : {}),
          progressOutput: { write: (text: string) => options.progressOutput.write(text.replace(/^(?=.)/gm, `[${platform}] `)) },
          signal: abort.signal,
          iidFile: undefined,
          metadataFile: undefined,
        });
        if (!result.digest) throw new KubectlBuildError('BUILD_FAILED', 'the build reported no image digest', { hint: 'check the builder' });
        return { platform, digest: result.digest, transfer: result.transfer };
      } catch (error) {
        abort.abort();
        const failure = toKubectlBuildError(error);
        // A platform cancelled because another failed: Promise.all reports the first failure.
        if (failure.code === 'CANCELLED' && !options.signal?.aborted) throw failure;
        throw new KubectlBuildError(failure.code, `${platform}: ${failure.message}`, { hint: failure.hint, cause: error });
      }
    }),
  ).finally(() => group?.close());

  // The platform images went to every tag's repository; the list goes next to them.
  const repositories = [...new Set(tags.map(withoutTag))];
  const first = parseReference(repositories[0] as string);
  // Cancelled here, the platform images stay in the registry by digest, and no tag moves unless its
  // write was already under way.
  const list = await unlessCancelled(
    (async () => {
      const assembled = await assembleList(options.client, first.registry, first.repository, children.map((child) => child.digest), listAnnotations);
      for (const tag of tags) {
        const reference = parseReference(tag);
        await options.client.putManifest(reference.registry, reference.repository, reference.tag ?? 'latest', assembled.body, assembled.mediaType);
      }
      return assembled;
    })(),
    options.signal,
    'cancelled while assembling the list: the platform images were pushed by digest, the list was not pushed unless its write was already under way',
    'run the build again to push the list (the platforms come from the cache)',
  );

  const result: MultiPlatformResult = {
    exporterResponse: {
      'containerimage.digest': list.digest,
      'image.name': tags.join(','),
      'containerimage.descriptor': Buffer.from(JSON.stringify({ mediaType: list.mediaType, digest: list.digest, size: list.body.length })).toString('base64'),
    },
    digest: list.digest,
    imageName: tags.join(','),
    pushed: true,
    exports: [{ type: 'image', destination: tags.join(',') }],
    transfer: Object.assign({}, ...children.map((child) => child.transfer)),
    durationMs: Date.now() - started,
    // The platform images, never an attestation manifest a child index held beside its image.
    children: children.flatMap(({ platform }, index) =>
      (list.images[index] ?? []).map((image, _, all) => ({ platform: all.length === 1 ? platform : platformName(image.platform), digest: image.digest })),
    ),
  };
  await writeResultFiles(options, result);
  return result;
}

/** The exporter's annotation-index.KEY attrs become the list's annotations; the rest stay with each platform. */
export function splitIndexAnnotations(annotations: Readonly<Record<string, string>>): {
  platformAnnotations: Record<string, string>;
  listAnnotations: Record<string, string>;
} {
  const platformAnnotations: Record<string, string> = {};
  const listAnnotations: Record<string, string> = {};
  for (const [attr, value] of Object.entries(annotations)) {
    if (attr.startsWith('annotation-index.')) listAnnotations[attr.slice('annotation-index.'.length)] = value;
    // The index's descriptor exists only in an OCI layout, never in a registry push.
    else if (!attr.startsWith('annotation-index-descriptor.')) platformAnnotations[attr] = value;
  }
  return { platformAnnotations, listAnnotations };
}
