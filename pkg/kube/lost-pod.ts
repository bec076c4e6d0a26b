// Why a builder pod went away during a build, for the error the user sees: deleted, stopped,
// evicted (the pod's DisruptionTarget condition says how), or taken off a node that is being drained
// (kubectl drain cordons the node, then evicts its pods).
import { CoreV1Api } from '@kubernetes/client-node';
import { errorMessage, KubectlBuildError } from '../errors/index.ts';
import { getBuilder, type BuilderPod } from './builders.ts';
import type { KubeConnection } from './config.ts';

// The reasons of a pod's DisruptionTarget condition, in words.
const DISRUPTIONS: Readonly<Record<string, string>> = {
  EvictionByEvictionAPI: 'through the Eviction API',
  DeletionByTaintManager: 'by a NoExecute taint on its node',
  PreemptionByScheduler: 'to make room for a pod of higher priority',
  TerminationByKubelet: 'by the kubelet (node pressure or shutdown)',
};

/** Whether `node` is cordoned (kubectl cordon / drain); undefined when it cannot be read (gone, or no RBAC to get nodes). */
async function nodeCordoned(connection: KubeConnection, node: string): Promise<boolean | undefined> {
  try {
    return (await connection.config.makeApiClient(CoreV1Api).readNode({ name: node })).spec?.unschedulable === true;
  } catch {
    return undefined;
  }
}

/** After a failed build on `pod`: the error to show when the pod went away meanwhile (deleted, evicted, its node drained). */
export async function lostPodError(connection: KubeConnection, builderName: string, pod: BuilderPod, error: unknown): Promise<KubectlBuildError | undefined> {
  let now: Awaited<ReturnType<typeof getBuilder>>;
  try {
    now = await getBuilder(connection, builderName);
  } catch (lookError) {
    // The tunnel and the question both go through the API server: gone, it cannot say the pod is.
    return new KubectlBuildError('UNAVAILABLE', `lost the connection to the builder pod ${pod.name} during the build, and the Kubernetes API server did not answer when asked why (${errorMessage(lookError)})`, {
      hint: `check the API server and the network to it (${connection.description}), then run the build again`,
      cause: error,
    });
  }
  const same = now?.pods.find((candidate) => candidate.name === pod.name);
  if (same?.ready) return undefined;
  // kubectl drain cordons the node, then evicts: a pod gone from a cordoned node was drained away.
  const drained = pod.node ? await nodeCordoned(connection, pod.node) : undefined;
  const what = same?.disruption ? `was evicted ${DISRUPTIONS[same.disruption] ?? `(${same.disruption})`}` : same ? `stopped (${same.phase})` : drained ? 'was evicted' : 'was deleted';
  return new KubectlBuildError('UNAVAILABLE', `the builder pod ${pod.name} ${what}${drained ? ` from node ${pod.node}, which is cordoned (drained)` : ''} during the build, so nothing was built or pushed`, {
    hint: drained ? 'run the build again: it goes to a pod on a node that is not cordoned' : 'run the build again; kubectl buildkit ls shows the builder\'s pods',
    cause: error,
  });
}
