// What `kubectl buildkit create` puts in the cluster, as plain objects (pure, so unit tests read
// them): a Deployment of buildkitd and, with --config, a ConfigMap holding buildkitd.toml. Every
// object carries the builder's label, which is how ls finds builders and rm finds what to delete.
import type { V1ConfigMap, V1Deployment, V1PodAntiAffinity, V1Toleration, V1Volume, V1VolumeMount, V1EnvVar } from '@kubernetes/client-node';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kubectl-build' } as const;
export const BUILDER_LABEL = 'kubectl-build.dev/builder';
/** One builder may be several Deployments (create --append, one per platform): this names one. */
export const DEPLOYMENT_LABEL = 'kubectl-build.dev/deployment';
export const WORKER_ANNOTATION = 'kubectl-build.dev/worker';
export const ROOTLESS_ANNOTATION = 'kubectl-build.dev/rootless';
/** Where buildkitd listens inside the pod; `buildctl dial-stdio` connects to it. */
export const BUILDKITD_SOCKET = 'unix:///run/buildkit/buildkitd.sock';
export const CONTAINER_NAME = 'buildkitd';

/** The upstream image of the pinned BuildKit release (the local cluster imports its own under another name). */
export const DEFAULT_IMAGE = 'docker.io/moby/buildkit:v0.34.2';
export const DEFAULT_ROOTLESS_IMAGE = `${DEFAULT_IMAGE}-rootless`;

export type WorkerKind = 'runc' | 'containerd';

export interface BuilderSpec {
  readonly name: string;
  /** The Deployment's own name: the builder's, or NAME-OS-ARCH for one added with --append. */
  readonly deploymentName: string;
  readonly namespace: string;
  readonly image: string;
  readonly rootless: boolean;
  readonly replicas: number;
  /** One pod on each node (create --per-node): replicas is the number of nodes that fit, and no two pods share a node. */
  readonly perNode?: boolean;
  readonly worker: WorkerKind;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly V1Toleration[];
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
  /** buildkitd.toml's content, kept in a ConfigMap. */
  readonly config?: string;
  readonly env: Readonly<Record<string, string>>;
}

export function builderLabels(name: string, deploymentName = name): Record<string, string> {
  return { 'app.kubernetes.io/name': 'buildkit', ...MANAGED_BY, [BUILDER_LABEL]: name, [DEPLOYMENT_LABEL]: deploymentName };
}

export function configMapName(builder: string): string {
  return `${builder}-buildkitd-config`;
}

export function builderConfigMap(spec: BuilderSpec): V1ConfigMap | undefined {
  if (spec.config === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName(spec.deploymentName), namespace: spec.namespace, labels: builderLabels(spec.name, spec.deploymentName) },
    data: { 'buildkitd.toml': spec.config },
  };
}

function hostPath(name: string, path: string, type: string): V1Volume {
  return { name, hostPath: { path, type } };
}

/** Volumes and buildkitd arguments for the chosen worker. */
function workerParts(spec: BuilderSpec): { args: string[]; volumes: V1Volume[]; mounts: V1VolumeMount[]; env: V1EnvVar[] } {
  if (spec.worker === 'containerd') {
    // The node's containerd runs the build steps and keeps the images (that is what --load needs),
    // so the paths it is told about must be the same inside the pod as on the node: mounted
    // at their own paths, with mount propagation both ways. Each pod gets its own state folder.
    const root = `/var/lib/buildkit/${spec.deploymentName}`;
    const bidirectional = (name: string, mountPath: string): V1VolumeMount => ({ name, mountPath, mountPropagation: 'Bidirectional' });
    return {
      args: [
        '--oci-worker=false', '--containerd-worker=true',
        '--containerd-worker-addr=/run/containerd/containerd.sock', '--containerd-worker-namespace=k8s.io',
        `--root=${root}/$(POD_NAME)`,
      ],
      volumes: [
        hostPath('buildkit-state', root, 'DirectoryOrCreate'),
        hostPath('containerd-state', '/var/lib/containerd', 'Directory'),
        hostPath('containerd-run', '/run/containerd', 'Directory'),
        hostPath('tmp', '/tmp', 'Directory'),
      ],
      mounts: [
        bidirectional('buildkit-state', root),
        bidirectional('containerd-state', '/var/lib/containerd'),
        bidirectional('containerd-run', '/run/containerd'),
        bidirectional('tmp', '/tmp'),
      ],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    };
  }
  const stateDir = spec.rootless ? '/home/user/.local/share/buildkit' : '/var/lib/buildkit';
  return {
    args: ['--oci-worker=true', '--containerd-worker=false', ...(spec.rootless ? ['--oci-worker-no-process-sandbox'] : [])],
    // An emptyDir, not the container's own filesystem: overlayfs snapshots cannot sit on overlayfs.
    volumes: [{ name: 'buildkit-state', emptyDir: {} }],
    mounts: [{ name: 'buildkit-state', mountPath: stateDir }],
    env: [],
  };
}

/**
 * Replicas on different nodes where there are several (a node lost takes one builder pod, not all),
 * and on one node when there is only one: preferred. With --per-node, required: one pod per node.
 */
function spreadOverNodes(spec: BuilderSpec): V1PodAntiAffinity {
  const term = { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { [BUILDER_LABEL]: spec.name, [DEPLOYMENT_LABEL]: spec.deploymentName } } };
  return spec.perNode
    ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
    : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
}

export function builderDeployment(spec: BuilderSpec): V1Deployment {
  const labels = builderLabels(spec.name, spec.deploymentName);
  const worker = workerParts(spec);
  const configMounts: V1VolumeMount[] = spec.config === undefined ? [] : [{ name: 'buildkitd-config', mountPath: '/etc/buildkit' }];
  const configVolumes: V1Volume[] = spec.config === undefined ? [] : [{ name: 'buildkitd-config', configMap: { name: configMapName(spec.deploymentName) } }];
  const resources = {
    ...(Object.keys(spec.requests).length > 0 ? { requests: { ...spec.requests } } : {}),
    ...(Object.keys(spec.limits).length > 0 ? { limits: { ...spec.limits } } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: spec.deploymentName,
      namespace: spec.namespace,
      labels,
      annotations: { [WORKER_ANNOTATION]: spec.worker, [ROOTLESS_ANNOTATION]: String(spec.rootless) },
    },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: { [BUILDER_LABEL]: spec.name, [DEPLOYMENT_LABEL]: spec.deploymentName } },
      template: {
        metadata: { labels },
        spec: {
          ...(Object.keys(spec.nodeSelector).length > 0 ? { nodeSelector: { ...spec.nodeSelector } } : {}),
          ...(spec.tolerations.length > 0 ? { tolerations: [...spec.tolerations] } : {}),
          affinity: { podAntiAffinity: spreadOverNodes(spec) },
          containers: [
            {
              name: CONTAINER_NAME,
              image: spec.image,
              imagePullPolicy: 'IfNotPresent',
              // A crashing daemon's last words reach kubectl buildkit create's error.
              terminationMessagePolicy: 'FallbackToLogsOnError',
              // --config named: rootless buildkitd would otherwise look under its home folder.
              args: [`--addr=${BUILDKITD_SOCKET}`, ...worker.args, ...(spec.config === undefined ? [] : ['--config=/etc/buildkit/buildkitd.toml'])],
              env: [...worker.env, ...Object.entries(spec.env).map(([name, value]) => ({ name, value }))],
              // Ready once the daemon answers with its workers: what a build needs.
              readinessProbe: { exec: { command: ['buildctl', `--addr=${BUILDKITD_SOCKET}`, 'debug', 'workers'] }, periodSeconds: 2, timeoutSeconds: 5 },
              securityContext: spec.rootless
                ? {
                    runAsUser: 1000,
                    runAsGroup: 1000,
                    // rootlesskit needs to create user namespaces and mount inside them.
                    seccompProfile: { type: 'Unconfined' },
                    appArmorProfile: { type: 'Unconfined' },
                  }
                : { privileged: true },
              ...(Object.keys(resources).length > 0 ? { resources } : {}),
              volumeMounts: [...worker.mounts, ...configMounts],
            },
          ],
          volumes: [...worker.volumes, ...configVolumes],
        },
      },
    },
  };
}
