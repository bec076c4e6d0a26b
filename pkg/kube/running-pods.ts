// The Kubernetes side of the sweep: the containers that run now (with the image digest each runs,
// from the kubelet's imageID), and the Eviction API (so PodDisruptionBudgets hold) with an Event on
// each Pod evicted. API failures become one sentence naming the permission that is missing.
import { CoreV1Api, type V1ContainerStatus, type V1Pod } from '@kubernetes/client-node';
import type { KubeConnection } from './config.ts';
import { kubeError } from './errors.ts';
import { readAgain } from './read-again.ts';

export interface RunningContainer {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid: string;
  readonly container: string;
  /** The image as the Pod spec names it (the kubelet's status may name another repository of the same content). */
  readonly image: string;
  /** What the kubelet reports runs: "registry/repo@sha256:..." (or a bare image ID for images loaded into the node). */
  readonly imageId: string;
  readonly node?: string;
}

/** Every running container of one namespace, or of all (`namespace` undefined), of Pods not being deleted (and matching `labelSelector`). */
export async function listRunningContainers(connection: KubeConnection, namespace: string | undefined, labelSelector?: string): Promise<RunningContainer[]> {
  const api = connection.config.makeApiClient(CoreV1Api);
  let pods: V1Pod[];
  try {
    const selectors = { fieldSelector: 'status.phase=Running', ...(labelSelector ? { labelSelector } : {}) };
    const list = await readAgain(() => (namespace === undefined ? api.listPodForAllNamespaces(selectors) : api.listNamespacedPod({ namespace, ...selectors })));
    pods = list.items;
  } catch (error) {
    const where = namespace === undefined ? connection : { ...connection, description: `context "${connection.contextName}", namespace "${namespace}"` };
    throw kubeError(error, where, namespace === undefined ? 'list the Pods of every namespace' : `list the Pods of namespace ${namespace}`, 'list pods');
  }
  // A Pod being deleted (evicted by an earlier sweep, say) is already on its way out.
  return pods.filter((pod) => !pod.metadata?.deletionTimestamp).flatMap((pod) => {
    const statuses: V1ContainerStatus[] = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
    const specImages = new Map([...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((container) => [container.name, container.image]));
    return statuses
      .filter((status) => status.state?.running && status.imageID)
      .map((status) => ({
        namespace: pod.metadata?.namespace ?? '',
        pod: pod.metadata?.name ?? '',
        podUid: pod.metadata?.uid ?? '',
        container: status.name,
        image: specImages.get(status.name) ?? status.image,
        imageId: status.imageID,
        ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
      }));
  });
}

export type EvictionOutcome = 'evicted' | 'blocked by a PodDisruptionBudget' | 'already gone';

/**
 * Evicts a Pod through the Eviction API (`serverDryRun`: the API checks it and changes nothing), and
 * records why as a Warning Event on it. A PodDisruptionBudget that forbids it now is an outcome,
 * not a failure: the next sweep tries again.
 */
export async function evictPod(connection: KubeConnection, container: Pick<RunningContainer, 'namespace' | 'pod' | 'podUid'>, reason: string, serverDryRun: boolean): Promise<EvictionOutcome> {
  const { namespace, pod } = container;
  const where = { ...connection, description: `context "${connection.contextName}", namespace "${namespace}"` };
  try {
    await connection.config.makeApiClient(CoreV1Api).createNamespacedPodEviction({
      name: pod,
      namespace,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } },
      ...(serverDryRun ? { dryRun: 'All' } : {}),
    });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 429) return 'blocked by a PodDisruptionBudget';
    if (code === 404) return 'already gone';
    throw kubeError(error, where, `evict the Pod ${namespace}/${pod}`, 'create pods/eviction');
  }
  if (serverDryRun) return 'evicted';
  const now = new Date();
  try {
    await connection.config.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${pod}.`, namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace, uid: container.podUid },
        reason: 'SignaturePolicyFailed',
        message: reason,
        type: 'Warning',
        source: { component: 'kubectl-trust-sweep' },
        reportingComponent: 'kubectl-trust-sweep',
        reportingInstance: 'kubectl-trust-sweep',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  } catch (error) {
    throw kubeError(error, where, `record the eviction of ${namespace}/${pod} as an Event`, 'create events');
  }
  return 'evicted';
}
