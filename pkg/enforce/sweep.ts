// The sweep: every container that runs now, judged by the digest it runs (the kubelet's imageID,
// not the tag in the spec, which may have moved), each digest verified once however many Pods
// share it; then which Pods to evict. Only a verdict of "fails the policy" evicts, never "could not
// decide", never in kube-system.
import type { RunningContainer } from '../kube/running-pods.ts';
import { parseReference, repositoryName, type ImageReference } from '../registry/reference.ts';
import { errorMessage } from '../errors/index.ts';
import { mapLimited, resolveImage } from '../verify/discover.ts';
import type { Verdict } from '../verify/types.ts';
import { verifyImage, type ImageReport, type VerifyContext } from '../verify/verify-image.ts';

export const PROTECTED_NAMESPACES: readonly string[] = ['kube-system'];

export interface SweptContainer {
  readonly container: RunningContainer;
  /** registry/repository@sha256:... that was verified; undefined when the node knows no registry digest. */
  readonly reference?: string;
  readonly verdict: Verdict;
  /** Why there is no verdict, when undecided. */
  readonly error?: string;
}

/**
 * What runs, as a registry reference: the repository the Pod spec names, at the digest the kubelet
 * reports running (its imageID, "repo@sha256:...", docker's with a "docker-pullable://" prefix).
 * The imageID's own repository can be another one holding the same content (the node keeps one
 * record per content), and signatures live per repository. A bare "sha256:..." (an image loaded into
 * the node, never pulled) names the image's config, not a manifest: nothing to look signatures up by.
 */
export function runningReference(container: Pick<RunningContainer, 'image' | 'imageId'>): ImageReference | undefined {
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(container.imageId)?.[1];
  if (!digest) return undefined;
  try {
    const named = parseReference(container.image.replace(/@sha256:[0-9a-f]{64}$/, ''));
    return { registry: named.registry, repository: named.repository, digest };
  } catch {
    return undefined;
  }
}

const UNDECIDED: Verdict = { outcome: 'undecided', rules: [], signersMet: [], missing: [] };

/** Every container judged; the images behind them verified once each, `concurrency` at a time. */
export async function sweepContainers(context: VerifyContext, containers: readonly RunningContainer[], concurrency: number): Promise<{ rows: SweptContainer[]; images: ImageReport[] }> {
  // What each container runs, as a registry reference, or why there is none.
  const located = await mapLimited(containers, (container) => locate(context, container), concurrency);
  const byReference = new Map<string, ImageReference>();
  for (const where of located) if (typeof where !== 'string') byReference.set(referenceText(where), where);
  const images = await mapLimited([...byReference.entries()], ([text, reference]) => verifyImage(context, reference, text), concurrency);
  const reports = new Map(images.map((report) => [report.image, report]));
  const rows = containers.map((container, index): SweptContainer => {
    const where = located[index] as ImageReference | string;
    if (typeof where === 'string') return { container, verdict: UNDECIDED, error: where };
    const text = referenceText(where);
    const report = reports.get(text) as ImageReport;
    return { container, reference: text, verdict: report.verdict, ...(report.error ? { error: report.error.message } : {}) };
  });
  return { rows, images };
}

/**
 * The registry digest a container runs. When the node knows the image only by its ID (the digest
 * of its config: built on the node, or loaded, never pulled), the Pod's image is looked up in the
 * registry and taken only if its config is that very one (for an index, one of its platform
 * images'): a tag that moved since names another image, and is not judged in its place.
 */
async function locate(context: VerifyContext, container: RunningContainer): Promise<ImageReference | string> {
  const direct = runningReference(container);
  if (direct) return direct;
  const configDigest = /^(?:docker:\/\/)?(sha256:[0-9a-f]{64})$/.exec(container.imageId)?.[1];
  const unknown = `the node runs ${container.imageId}, which names no registry image to look signatures up by`;
  if (!configDigest) return unknown;
  let named: ImageReference;
  try {
    named = parseReference(container.image);
  } catch {
    return unknown;
  }
  try {
    const image = await resolveImage(context.client, named);
    const found = { registry: image.registry, repository: image.repository, digest: image.digest };
    if (image.configDigest === configDigest) return found;
    // An index: the node runs one of its platform images.
    for (const child of image.children) {
      const manifest = await context.client.getManifest(image.registry, image.repository, child.digest);
      const config = manifest ? (JSON.parse(manifest.body.toString('utf8')) as { config?: { digest?: string } }).config?.digest : undefined;
      if (config === configDigest) return found;
    }
    return `the node runs the image ${configDigest}, and ${container.image} now names another one (the tag moved, or it was never pushed)`;
  } catch (error) {
    return `the node runs the image ${configDigest}, and ${container.image} could not be looked up: ${errorMessage(error)}`;
  }
}

function referenceText(reference: ImageReference): string {
  return `${repositoryName(reference)}@${reference.digest}`;
}

export interface Eviction {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid: string;
  /** One sentence for the Event and the output: which image fails and what it misses. */
  readonly reason: string;
  /** Set when the Pod is not evicted although it fails: kube-system. */
  readonly skipped?: string;
}

/** The Pods with at least one container whose image fails the policy (not merely undecided). */
export function evictions(rows: readonly SweptContainer[]): Eviction[] {
  const pods = new Map<string, Eviction>();
  for (const row of rows) {
    if (row.verdict.outcome !== 'fail') continue;
    const { namespace, pod, podUid } = row.container;
    const key = `${namespace}/${pod}`;
    if (pods.has(key)) continue;
    const missing = row.verdict.missing.length > 0 ? `: ${row.verdict.missing.join('; ')}` : '';
    pods.set(key, {
      namespace,
      pod,
      podUid,
      reason: `container ${row.container.container} runs ${row.reference}, which fails the signer policy${missing}`,
      ...(PROTECTED_NAMESPACES.includes(namespace) ? { skipped: `${namespace} is never swept` } : {}),
    });
  }
  return [...pods.values()];
}
