// Builders in the cluster: create (and wait until ready, turning pod trouble into one clear error
// instead of a hang), find, list and remove. A builder is a Deployment of buildkitd labelled with
// kubectl-build.dev/builder=NAME (plus its ConfigMap when created with --config).
import { createHash } from 'node:crypto';
import { AppsV1Api, CoreV1Api, type CoreV1Event, type V1Deployment, type V1Pod, type V1Toleration } from '@kubernetes/client-node';
import { KubectlBuildError } from '../errors/index.ts';
import {
  BUILDER_LABEL,
  MANAGED_BY,
  ROOTLESS_ANNOTATION,
  WORKER_ANNOTATION,
  builderConfigMap,
  builderDeployment,
  configMapName,
  type BuilderSpec,
  type WorkerKind,
} from './builder-spec.ts';
import type { KubeConnection } from './config.ts';
import { isNotFound, kubeError } from './errors.ts';
import { nodesThatFit } from './node-fit.ts';
import { readAgain } from './read-again.ts';

export interface BuilderPod {
  readonly name: string;
  readonly node: string;
  readonly phase: string;
  readonly ready: boolean;
  /** Why it is not ready, in kubelet's words (ImagePullBackOff: ...), when it is not. */
  readonly problem?: string;
  /** The architecture its Deployment pins it to (create --platform / a kubernetes.io/arch selector). */
  readonly arch?: string;
  /** Why it is being stopped, when Kubernetes says (its DisruptionTarget condition: EvictionByEvictionAPI, ...). */
  readonly disruption?: string;
}

export interface BuilderInfo {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly worker: WorkerKind;
  readonly rootless: boolean;
  readonly replicas: number;
  readonly readyReplicas: number;
  /** Its Deployments: the builder's own, and one per create --append. */
  readonly deployments: readonly string[];
  readonly pods: readonly BuilderPod[];
  /** Where its (first) Deployment lets pods run: which nodes could have one. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly V1Toleration[];
}

function apis(connection: KubeConnection) {
  return { apps: connection.config.makeApiClient(AppsV1Api), core: connection.config.makeApiClient(CoreV1Api) };
}

function podProblem(pod: V1Pod): string | undefined {
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status === 'False') return `cannot be scheduled: ${scheduled.message ?? scheduled.reason ?? 'no reason given'}`;
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    const terminated = status.lastState?.terminated ?? status.state?.terminated;
    // The container's last log lines come as its termination message (FallbackToLogsOnError):
    // the first line of its error, not the stack trace that may follow.
    const said = firstErrorLine(terminated?.message);
    const exited = terminated && status.restartCount > 0
      ? `buildkitd exited with code ${terminated.exitCode}${said ? ` (${said})` : ''}, restarted ${status.restartCount} time${status.restartCount === 1 ? '' : 's'}`
      : undefined;
    if (waiting?.reason === 'CrashLoopBackOff' && exited) return `CrashLoopBackOff: ${exited}`;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
      return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
    }
    if (exited) return exited;
  }
  return undefined;
}

function firstErrorLine(message: string | undefined): string | undefined {
  const lines = (message ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
  const first = lines.find((line) => !/^(goroutine |github\.com\/|runtime\/|main\.|\S+\.go:\d+)/.test(line));
  return (first ?? lines[0])?.replace(/^time="[^"]*" level=\w+ msg=/, '').slice(0, 200);
}

function toBuilderPod(pod: V1Pod): BuilderPod {
  const ready = pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
  const problem = ready ? undefined : podProblem(pod);
  const arch = pod.spec?.nodeSelector?.['kubernetes.io/arch'];
  const disruption = pod.status?.conditions?.find((condition) => condition.type === 'DisruptionTarget' && condition.status === 'True')?.reason;
  return {
    name: pod.metadata?.name ?? '',
    node: pod.spec?.nodeName ?? '',
    phase: pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Unknown'),
    ready: ready && !pod.metadata?.deletionTimestamp,
    ...(problem ? { problem } : {}),
    ...(arch ? { arch } : {}),
    ...(disruption ? { disruption } : {}),
  };
}

/** One builder from its Deployments (the first made is its own: name, image and worker come from it). */
function toBuilderInfo(name: string, deployments: readonly V1Deployment[], pods: readonly BuilderPod[]): BuilderInfo {
  const sorted = [...deployments].sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')));
  const main = sorted.find((deployment) => deployment.metadata?.name === name) ?? sorted[0];
  const annotations = main?.metadata?.annotations ?? {};
  return {
    name,
    namespace: main?.metadata?.namespace ?? '',
    image: main?.spec?.template.spec?.containers[0]?.image ?? '',
    worker: annotations[WORKER_ANNOTATION] === 'containerd' ? 'containerd' : 'runc',
    rootless: annotations[ROOTLESS_ANNOTATION] === 'true',
    replicas: sorted.reduce((sum, deployment) => sum + (deployment.spec?.replicas ?? 1), 0),
    readyReplicas: sorted.reduce((sum, deployment) => sum + (deployment.status?.readyReplicas ?? 0), 0),
    deployments: sorted.map((deployment) => deployment.metadata?.name ?? ''),
    pods,
    nodeSelector: main?.spec?.template.spec?.nodeSelector ?? {},
    tolerations: main?.spec?.template.spec?.tolerations ?? [],
  };
}

async function builderDeployments(connection: KubeConnection, name?: string): Promise<V1Deployment[]> {
  const { apps } = apis(connection);
  const selector = `${Object.entries(MANAGED_BY).map(([key, value]) => `${key}=${value}`).join(',')},${name ? `${BUILDER_LABEL}=${name}` : BUILDER_LABEL}`;
  try {
    const items = (await readAgain(() => apps.listNamespacedDeployment({ namespace: connection.namespace, labelSelector: selector }))).items;
    // One being deleted (rm in progress) is no longer part of any builder.
    return items.filter((deployment) => !deployment.metadata?.deletionTimestamp);
  } catch (error) {
    throw kubeError(error, connection, name ? `read the builder "${name}"` : 'list the builders', 'list deployments.apps');
  }
}

async function listPods(connection: KubeConnection, name: string): Promise<BuilderPod[]> {
  const { core } = apis(connection);
  try {
    const pods = await readAgain(() => core.listNamespacedPod({ namespace: connection.namespace, labelSelector: `${BUILDER_LABEL}=${name}` }));
    return pods.items.map(toBuilderPod).sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    throw kubeError(error, connection, `list the pods of the builder "${name}"`, 'list pods');
  }
}

/** The builder named `name`, or undefined when there is none. */
export async function getBuilder(connection: KubeConnection, name: string): Promise<BuilderInfo | undefined> {
  const deployments = await builderDeployments(connection, name);
  if (deployments.length === 0) return undefined;
  return toBuilderInfo(name, deployments, await listPods(connection, name));
}

export async function listBuilders(connection: KubeConnection): Promise<BuilderInfo[]> {
  const byBuilder = new Map<string, V1Deployment[]>();
  for (const deployment of await builderDeployments(connection)) {
    const name = deployment.metadata?.labels?.[BUILDER_LABEL] ?? '';
    byBuilder.set(name, [...(byBuilder.get(name) ?? []), deployment]);
  }
  return Promise.all(
    [...byBuilder.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(async ([name, deployments]) => toBuilderInfo(name, deployments, await listPods(connection, name))),
  );
}

/**
 * Creates the builder's objects. Fails if a builder of that name exists (rm it first), unless
 * `append`: then the spec's Deployment joins it (another platform, another node pool).
 */
export async function createBuilder(connection: KubeConnection, spec: BuilderSpec, append = false): Promise<void> {
  const { apps, core } = apis(connection);
  const existing = await getBuilder(connection, spec.name);
  if (existing && !append) {
    throw new KubectlBuildError('USAGE', `the builder "${spec.name}" already exists in ${connection.description}`, {
      hint: `remove it first with kubectl buildkit rm ${spec.name}, add to it with --append --platform OS/ARCH, or pick another name`,
    });
  }
  if (existing?.deployments.includes(spec.deploymentName)) {
    throw new KubectlBuildError('USAGE', `the builder "${spec.name}" already has the Deployment ${spec.deploymentName}`, {
      hint: 'append another --platform, or remove the builder first',
    });
  }
  const configMap = builderConfigMap(spec);
  if (configMap) {
    try {
      await core.deleteNamespacedConfigMap({ name: configMapName(spec.deploymentName), namespace: connection.namespace }).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
      await core.createNamespacedConfigMap({ namespace: connection.namespace, body: configMap });
    } catch (error) {
      throw kubeError(error, connection, `create the ConfigMap ${configMapName(spec.deploymentName)}`, 'create configmaps');
    }
  }
  try {
    await apps.createNamespacedDeployment({ namespace: connection.namespace, body: builderDeployment(spec) });
  } catch (error) {
    throw kubeError(error, connection, `create the Deployment ${spec.deploymentName}`, 'create deployments.apps');
  }
}

/** The nodes the builder's pods may run on (its node selector and tolerations), for create --per-node and build --all-nodes. */
export async function nodesForBuilder(connection: KubeConnection, spec: Pick<BuilderSpec, 'nodeSelector' | 'tolerations'>, purpose: string): Promise<string[]> {
  const { core } = apis(connection);
  try {
    const nodes = await readAgain(() => core.listNode());
    return nodesThatFit(nodes.items, spec.nodeSelector, spec.tolerations);
  } catch (error) {
    throw kubeError(error, connection, `list the nodes (for ${purpose})`, 'list nodes');
  }
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** All replicas (create) or one ready pod (a build that only needs one). */
  readonly all: boolean;
  readonly onProgress?: (message: string) => void;
  readonly signal?: AbortSignal;
}

// A pod problem is only final once it has lasted a little: image pulls and crashes are retried by
// the kubelet, and an unschedulable pod may wait for a node that is joining.
const PROBLEM_GRACE_MS = 6_000;
const FATAL = /^(ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName|CrashLoopBackOff|CreateContainerConfigError|CreateContainerError|RunContainerError|cannot be scheduled|buildkitd exited)/;

/** Waits until the builder has ready pods; pod trouble that does not go away becomes the error. */
export async function waitForBuilder(connection: KubeConnection, name: string, options: WaitOptions): Promise<BuilderInfo> {
  const started = Date.now();
  const problemsSince = new Map<string, number>();
  let last = '';
  for (;;) {
    if (options.signal?.aborted) throw new KubectlBuildError('CANCELLED', 'cancelled while waiting for the builder');
    const builder = await getBuilder(connection, name);
    if (!builder) throw new KubectlBuildError('NOT_FOUND', `the builder "${name}" was removed while waiting for it (${connection.description})`);
    const ready = builder.pods.filter((pod) => pod.ready).length;
    const wanted = options.all ? builder.replicas : 1;
    if (ready >= wanted) return builder;

    const status = `${ready}/${builder.replicas} pods ready${builder.pods.map((pod) => (pod.problem ? `; ${pod.name}: ${pod.problem}` : '')).join('')}`;
    if (status !== last) options.onProgress?.(status);
    last = status;
    for (const pod of builder.pods) {
      if (!pod.problem || !FATAL.test(pod.problem)) {
        problemsSince.delete(pod.name);
        continue;
      }
      const since = problemsSince.get(pod.name) ?? Date.now();
      problemsSince.set(pod.name, since);
      if (Date.now() - since >= PROBLEM_GRACE_MS) {
        throw new KubectlBuildError('UNAVAILABLE', `the builder "${name}" cannot start: pod ${pod.name} ${pod.problem.startsWith('cannot') ? pod.problem : `reports ${pod.problem}`}`, {
          hint: hintFor(pod.problem, name),
        });
      }
    }
    if (builder.pods.length === 0 && Date.now() - started > PROBLEM_GRACE_MS) {
      const reason = await replicaFailure(connection, name);
      if (reason) throw new KubectlBuildError('UNAVAILABLE', `the builder "${name}" cannot create its pods: ${reason}`, { hint: 'check the namespace\'s quotas and Pod Security admission level (builders run privileged unless --rootless)' });
    }
    if (Date.now() - started > options.timeoutMs) {
      throw new KubectlBuildError('UNAVAILABLE', `the builder "${name}" was not ready within ${Math.round(options.timeoutMs / 1000)}s (${status})`, {
        hint: 'look at its pods with kubectl describe pod -l kubectl-build.dev/builder=' + name + ', or wait longer with --timeout',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function hintFor(problem: string, name: string): string {
  if (/Image|image/.test(problem)) return 'check --image: the node must be able to pull it (or have it already, for a local cluster)';
  if (problem.startsWith('cannot be scheduled')) return 'check --node-selector, --tolerations and --requests against the nodes you have';
  return `look at the logs with kubectl logs -l ${BUILDER_LABEL}=${name}; buildkitd needs a privileged pod unless --rootless`;
}

/** Why the Deployment's ReplicaSet cannot make pods (quota, admission), from its events. */
async function replicaFailure(connection: KubeConnection, name: string): Promise<string | undefined> {
  const { core } = apis(connection);
  let events: CoreV1Event[];
  try {
    events = (await core.listNamespacedEvent({ namespace: connection.namespace, fieldSelector: 'reason=FailedCreate' })).items;
  } catch {
    return undefined;
  }
  const ours = events.filter((event) => event.involvedObject.name?.startsWith(`${name}-`)).sort((a, b) => String(b.lastTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? '')));
  return ours[0]?.message;
}

/** Deletes the builder's Deployments and ConfigMaps; fails when there is no such builder. */
export async function removeBuilder(connection: KubeConnection, name: string): Promise<void> {
  const { apps, core } = apis(connection);
  const builder = await getBuilder(connection, name);
  if (!builder) {
    throw new KubectlBuildError('NOT_FOUND', `there is no builder "${name}" in ${connection.description}`, { hint: 'kubectl buildkit ls lists the builders there' });
  }
  for (const deployment of builder.deployments) {
    try {
      await apps.deleteNamespacedDeployment({ name: deployment, namespace: connection.namespace, body: { propagationPolicy: 'Foreground' } });
    } catch (error) {
      if (!isNotFound(error)) throw kubeError(error, connection, `delete the Deployment ${deployment}`, 'delete deployments.apps');
    }
    try {
      await core.deleteNamespacedConfigMap({ name: configMapName(deployment), namespace: connection.namespace });
    } catch (error) {
      if (!isNotFound(error)) throw kubeError(error, connection, `delete the ConfigMap ${configMapName(deployment)}`, 'delete configmaps');
    }
  }
  // As kubectl delete does: return once it is gone (its pods stopped), so that the name can be
  // used again at once and ls no longer shows it.
  const deadline = Date.now() + REMOVE_TIMEOUT_MS;
  for (;;) {
    try {
      const left = (await apps.listNamespacedDeployment({ namespace: connection.namespace, labelSelector: `${BUILDER_LABEL}=${name}` })).items;
      if (left.length === 0) return;
    } catch (error) {
      throw kubeError(error, connection, `check that the builder ${name} is gone`, 'list deployments.apps');
    }
    if (Date.now() > deadline) {
      throw new KubectlBuildError('UNAVAILABLE', `the builder "${name}" is being deleted but still has pods after ${REMOVE_TIMEOUT_MS / 1000}s (${connection.description})`, {
        hint: `look at kubectl get pods -l ${BUILDER_LABEL}=${name}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const REMOVE_TIMEOUT_MS = 90_000;

/**
 * The pod a build from `contextKey` (its context directory) goes to: the same one every time while
 * the pods stay the same (rendezvous hashing), so the daemon's cache of that context is reused; when
 * pods come and go, only the builds that were on them move.
 */
export function pickPod(pods: readonly BuilderPod[], contextKey: string): BuilderPod | undefined {
  let best: BuilderPod | undefined;
  let bestScore = '';
  for (const pod of pods.filter((candidate) => candidate.ready)) {
    const score = createHash('sha256').update(`${contextKey}\0${pod.name}`).digest('hex');
    if (score > bestScore) {
      best = pod;
      bestScore = score;
    }
  }
  return best;
}
