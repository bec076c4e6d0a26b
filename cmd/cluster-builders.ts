// The cluster side of both commands, loaded only when the cluster is used (it pulls in the
// Kubernetes client): `kubectl buildkit create|ls|rm`, and finding (or creating on first use) the
// builder a `kubectl build` or `kubectl buildkit version` talks to, through a pods/exec tunnel.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { V1Toleration } from '@kubernetes/client-node';
import type { BuilderAddress } from '../pkg/buildkit/address.ts';
import { ControlClient, formatPlatform } from '../pkg/buildkit/control.ts';
import { parseKeyValues } from '../pkg/build/options.ts';
import { KubectlBuildError, errorMessage } from '../pkg/errors/index.ts';
import { DEFAULT_IMAGE, DEFAULT_ROOTLESS_IMAGE, type BuilderSpec, type WorkerKind } from '../pkg/kube/builder-spec.ts';
import { createBuilder, getBuilder, listBuilders, nodesForBuilder, pickPod, removeBuilder, waitForBuilder, type BuilderInfo, type BuilderPod } from '../pkg/kube/builders.ts';
import { loadKubeConnection, type KubeConnection } from '../pkg/kube/config.ts';
import { lostPodError } from '../pkg/kube/lost-pod.ts';
import { parseRequestTimeout } from '../pkg/kube/request-timeout.ts';
import { openBuilderTunnel, type BuilderTunnel } from '../pkg/kube/exec-tunnel.ts';
import { CREATE_DEFAULTS } from './options/builder.ts';
import { parseDuration } from './options/sign.ts';
import { readSecretData, registrySecretCredentials } from '../pkg/kube/registry-secret.ts';
import type { CredentialSource } from '../pkg/buildkit/session/auth.ts';

export interface KubeArgv {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  builder: string;
  /** kubectl's --request-timeout: each API request's bound. */
  'request-timeout'?: string;
  /** kubectl build --node: only the builder's pods on this node. */
  node?: string;
}

export interface CreateArgv extends KubeArgv {
  name?: string;
  image?: string;
  rootless: boolean;
  replicas: number;
  worker: 'auto' | WorkerKind;
  platform: string[];
  'node-selector': string[];
  tolerations: string[];
  requests?: string;
  limits?: string;
  config?: string;
  env: string[];
  timeout: string;
  append?: boolean;
  'per-node'?: boolean;
}

export function kubeConnection(argv: KubeArgv, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  const requestTimeoutMs = parseRequestTimeout(argv['request-timeout']);
  return loadKubeConnection({ kubeconfig: argv.kubeconfig, context: argv.context, namespace: argv.namespace, requestTimeoutMs }, env, homedir());
}

/** kubectl-ish toleration shorthands: key=value:Effect, key:Effect, key=value, key, or "*". */
export function parseToleration(value: string): V1Toleration {
  if (value === '*') return { operator: 'Exists' };
  const match = /^([^=:]+)(?:=([^:]*))?(?::(NoSchedule|PreferNoSchedule|NoExecute))?$/.exec(value);
  if (!match?.[1]) {
    throw new KubectlBuildError('USAGE', `--tolerations "${value}" is not a toleration`, { hint: 'write key=value:NoSchedule, key:NoExecute, key=value, key, or * for every taint' });
  }
  const [, key, tolerated, effect] = match;
  return { key, ...(tolerated === undefined ? { operator: 'Exists' } : { operator: 'Equal', value: tolerated }), ...(effect ? { effect } : {}) };
}

function splitCommas(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}

export function builderSpec(argv: CreateArgv, connection: KubeConnection, env: NodeJS.ProcessEnv): BuilderSpec {
  const name = argv.name ?? argv.builder;
  if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) {
    throw new KubectlBuildError('USAGE', `"${name}" is not a valid builder name`, { hint: 'use lower-case letters, digits and dashes (a Kubernetes object name)' });
  }
  if (!Number.isInteger(argv.replicas) || argv.replicas < 1) {
    throw new KubectlBuildError('USAGE', `--replicas must be a whole number of at least 1, not ${argv.replicas}`);
  }
  const worker: WorkerKind = argv.worker === 'auto' ? (argv.rootless ? 'runc' : 'containerd') : argv.worker;
  if (argv.rootless && worker === 'containerd') {
    throw new KubectlBuildError('USAGE', '--rootless cannot use the node\'s containerd (--worker containerd)', { hint: 'use --worker runc with --rootless' });
  }
  const nodeSelector = parseKeyValues('node-selector', splitCommas(argv['node-selector']));
  for (const platform of splitCommas(argv.platform)) {
    const [os, arch] = platform.split('/');
    if (!os || !arch) throw new KubectlBuildError('USAGE', `--platform "${platform}" is not a platform`, { hint: 'write it as os/arch, e.g. linux/arm64' });
    nodeSelector['kubernetes.io/os'] = os;
    nodeSelector['kubernetes.io/arch'] = arch;
  }
  let config: string | undefined;
  if (argv.config) {
    try {
      config = readFileSync(argv.config, 'utf8');
    } catch (error) {
      throw new KubectlBuildError('NOT_FOUND', `cannot read the buildkitd config ${argv.config}: ${errorMessage(error)}`, { hint: 'check the --config path' });
    }
  }
  const defaultImage = env.KUBECTL_BUILDKIT_IMAGE ?? DEFAULT_IMAGE;
  // --append: another Deployment of the same builder, named after what sets it apart.
  const [firstPlatform] = splitCommas(argv.platform);
  const suffix = firstPlatform ? firstPlatform.replaceAll('/', '-') : `node-${Object.values(nodeSelector).join('-').replace(/[^a-z0-9-]/g, '') || 'extra'}`;
  return {
    name,
    deploymentName: argv.append ? `${name}-${suffix}`.slice(0, 63).replace(/-+$/, '') : name,
    namespace: connection.namespace,
    image: argv.image ?? (argv.rootless ? (env.KUBECTL_BUILDKIT_IMAGE ? `${env.KUBECTL_BUILDKIT_IMAGE}-rootless` : DEFAULT_ROOTLESS_IMAGE) : defaultImage),
    rootless: argv.rootless,
    replicas: argv.replicas,
    worker,
    nodeSelector,
    tolerations: argv.tolerations.map(parseToleration),
    requests: parseKeyValues('requests', splitCommas(argv.requests ? [argv.requests] : [])),
    limits: parseKeyValues('limits', splitCommas(argv.limits ? [argv.limits] : [])),
    ...(config === undefined ? {} : { config }),
    env: parseKeyValues('env', argv.env),
  };
}

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

export async function createCommand(argv: CreateArgv): Promise<void> {
  const connection = kubeConnection(argv);
  let spec = builderSpec(argv, connection, process.env);
  if (argv['per-node']) {
    // One pod on each node that fits now; nodes that join later get none until the builder is re-created.
    const nodes = await nodesForBuilder(connection, spec, '--per-node');
    if (nodes.length === 0) {
      throw new KubectlBuildError('UNAVAILABLE', `no node takes the pods of the builder "${spec.name}" (node selector, taints, cordoned nodes), so --per-node has nothing to do`, {
        hint: 'check kubectl get nodes --show-labels, or change --node-selector / --tolerations',
      });
    }
    spec = { ...spec, replicas: nodes.length, perNode: true };
    say(`--per-node: one pod on each of ${nodes.length} node(s): ${nodes.join(', ')}`);
  }
  say(`${argv.append ? `adding ${spec.deploymentName} to` : 'creating'} the builder "${spec.name}" (${spec.replicas} × ${spec.image}, ${spec.worker} worker${spec.rootless ? ', rootless' : ''}) in ${connection.description}`);
  await createBuilder(connection, spec, argv.append ?? false);
  const started = Date.now();
  const builder = await waitForBuilder(connection, spec.name, {
    timeoutMs: parseDuration('timeout', argv.timeout),
    all: true,
    onProgress: (status) => say(`  waiting: ${status}`),
  });
  say(`builder "${spec.name}" ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${builder.pods.map((pod) => `${pod.name} on ${pod.node}`).join(', ')}`);
}

export async function removeCommand(argv: KubeArgv & { name?: string }): Promise<void> {
  const connection = kubeConnection(argv);
  const name = argv.name ?? argv.builder;
  await removeBuilder(connection, name);
  say(`removed the builder "${name}" from ${connection.description}`);
}

/** Each ready pod's platforms, from ListWorkers through its tunnel; '?' when it does not answer. */
async function podPlatforms(connection: KubeConnection, builder: BuilderInfo): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  await Promise.all(
    builder.pods.filter((pod) => pod.ready).map(async (pod) => {
      const tunnel = await openBuilderTunnel(connection, { pod: pod.name, builder: `builder "${builder.name}"` });
      const control = new ControlClient(tunnel.address, {}, tunnel.failure);
      try {
        await control.waitUntilReady(5_000);
        const workers = await control.listWorkers();
        const platforms = workers.flatMap((worker) => worker.platforms.map(formatPlatform));
        result.set(pod.name, [...new Set(platforms)].join(','));
      } catch {
        result.set(pod.name, '?');
      } finally {
        control.close();
        await tunnel.close();
      }
    }),
  );
  return result;
}

export async function listCommand(argv: KubeArgv): Promise<void> {
  const connection = kubeConnection(argv);
  const builders = await listBuilders(connection);
  if (builders.length === 0) {
    say(`no builders in ${connection.description} (kubectl buildkit create makes one; kubectl build makes "buildkit" on first use)`);
    return;
  }
  const rows: string[][] = [['NAME', 'STATUS', 'WORKER', 'POD', 'NODE', 'PLATFORMS']];
  for (const builder of builders) {
    const platforms = await podPlatforms(connection, builder);
    const status = `${builder.readyReplicas}/${builder.replicas} ready`;
    const worker = `${builder.worker}${builder.rootless ? ' (rootless)' : ''}`;
    if (builder.pods.length === 0) rows.push([builder.name, status, worker, '-', '-', '-']);
    builder.pods.forEach((pod, index) => {
      rows.push([
        index === 0 ? builder.name : '',
        index === 0 ? status : '',
        index === 0 ? worker : '',
        pod.name,
        pod.node || '-',
        platforms.get(pod.name) ?? (pod.problem ? `(${pod.phase}: ${pod.problem})` : `(${pod.phase})`),
      ]);
    });
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows) process.stdout.write(`${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('   ')}\n`);
}

export interface ClusterBuilderConnection {
  readonly address: BuilderAddress;
  readonly failure: Promise<never>;
  readonly builder: BuilderInfo;
  readonly pod: string;
  readonly node: string;
  /** After a failed build: a clearer error when the pod went away meanwhile. */
  explain(error: unknown): Promise<KubectlBuildError | undefined>;
  /** The pod for one platform of a multi-platform build: one pinned to its architecture when there is one. */
  forPlatform(platform: string): Promise<PlatformBuilder>;
  close(): Promise<void>;
}

export interface PlatformBuilder {
  readonly address: BuilderAddress;
  readonly failure: Promise<never>;
  /** "pod P on node N (native)" or "(emulated or cross-compiled)", for the progress line. */
  readonly where: string;
}

/**
 * Native first: ready pods whose Deployment pins them to the platform's architecture (create
 * --platform, or a kubernetes.io/arch node selector); else pods pinned to none (their node runs
 * other architectures under QEMU, or the Dockerfile cross-compiles); else any ready pod.
 */
export function podForPlatform(pods: readonly BuilderPod[], platform: string, contextKey: string): { pod: BuilderPod; native: boolean } | undefined {
  const arch = platform.split('/')[1];
  const ready = pods.filter((pod) => pod.ready);
  const native = ready.filter((pod) => pod.arch === arch);
  const unpinned = ready.filter((pod) => pod.arch === undefined);
  const pod = pickPod(native.length > 0 ? native : unpinned.length > 0 ? unpinned : ready, contextKey);
  return pod ? { pod, native: native.length > 0 } : undefined;
}

export interface ConnectOptions {
  /** The context directory: the same one goes to the same pod (cache reuse). */
  readonly contextKey: string;
  /** A single --platform: prefer a pod pinned to its architecture. */
  readonly platform?: string;
  readonly createIfMissing?: boolean;
  readonly onProgress?: (message: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * The builder named by --builder (created on first use with the defaults) once it has a ready pod,
 * or once every pod is ready (`allReady`: a build on each of its nodes must not skip one that starts).
 */
export async function readyBuilder(argv: KubeArgv, options: ConnectOptions, allReady = false): Promise<{ connection: KubeConnection; builder: BuilderInfo }> {
  const connection = kubeConnection(argv);
  let builder = await getBuilder(connection, argv.builder);
  if (!builder && options.createIfMissing === false) {
    throw new KubectlBuildError('NOT_FOUND', `there is no builder "${argv.builder}" in ${connection.description}`, {
      hint: `create it with kubectl buildkit create ${argv.builder} (kubectl build also creates it on first use)`,
    });
  }
  if (!builder) {
    options.onProgress?.(`creating the builder "${argv.builder}" in ${connection.description} (first use)`);
    const spec = builderSpec({ ...argv, ...CREATE_DEFAULTS, platform: [], 'node-selector': [], tolerations: [], env: [] }, connection, process.env);
    await createBuilder(connection, spec);
  }
  const enough = (found: BuilderInfo) => (allReady ? found.pods.length >= found.replicas && found.pods.every((pod) => pod.ready) : found.pods.some((pod) => pod.ready));
  if (!builder || !enough(builder)) {
    builder = await waitForBuilder(connection, argv.builder, {
      timeoutMs: parseDuration('timeout', CREATE_DEFAULTS.timeout),
      all: allReady,
      ...(options.onProgress ? { onProgress: (status: string) => options.onProgress?.(`builder "${argv.builder}": ${status}`) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  return { connection, builder };
}

/** The builder named by --builder (created on first use with the defaults), one of its pods, a tunnel to it. */
export async function connectClusterBuilder(argv: KubeArgv, options: ConnectOptions): Promise<ClusterBuilderConnection> {
  const { connection, builder } = await readyBuilder(argv, options);
  const found = builder;
  // --node: the pods on that node only (with --load, the image lands in that node's containerd).
  const pods = argv.node ? found.pods.filter((candidate) => candidate.node === argv.node) : found.pods;
  if (argv.node && !pods.some((candidate) => candidate.ready)) {
    const nodes = [...new Set(found.pods.filter((candidate) => candidate.ready).map((candidate) => candidate.node))].sort();
    throw new KubectlBuildError('UNAVAILABLE', `the builder "${argv.builder}" has no ready pod on node ${argv.node} (its ready pods run on ${nodes.length > 0 ? nodes.join(', ') : 'no node'})`, {
      hint: `pick one of those nodes, or re-create the builder with kubectl buildkit create ${argv.builder} --per-node for a pod on every node`,
    });
  }
  const noPod = () => new KubectlBuildError('UNAVAILABLE', `the builder "${argv.builder}" has no ready pod (${connection.description})`, { hint: 'see kubectl buildkit ls' });
  const pod = options.platform ? podForPlatform(pods, options.platform, options.contextKey)?.pod : pickPod(pods, options.contextKey);
  if (!pod) throw noPod();
  // One tunnel per pod, shared by the platforms that build there.
  const tunnels = new Map<string, Promise<BuilderTunnel>>();
  const tunnelTo = (name: string) => {
    const open = tunnels.get(name) ?? openBuilderTunnel(connection, { pod: name, builder: `builder "${argv.builder}"` });
    tunnels.set(name, open);
    return open;
  };
  const tunnel = await tunnelTo(pod.name);
  return {
    address: tunnel.address,
    failure: tunnel.failure,
    builder: found,
    pod: pod.name,
    node: pod.node,
    explain: (error) => lostPodError(connection, argv.builder, pod, error),
    async forPlatform(platform) {
      const chosen = podForPlatform(pods, platform, options.contextKey);
      if (!chosen) throw noPod();
      const platformTunnel = await tunnelTo(chosen.pod.name);
      return {
        address: platformTunnel.address,
        failure: platformTunnel.failure,
        where: `pod ${chosen.pod.name} on node ${chosen.pod.node} (${chosen.native ? 'native' : `no pod pinned to ${platform.split('/')[1]}: emulated or cross-compiled`})`,
      };
    },
    async close() {
      for (const open of tunnels.values()) await (await open).close();
    },
  };
}

/** --registry-secret: the Secret's credentials, read with the same kubeconfig as the builder. */
export async function registrySecretSource(argv: KubeArgv, name: string): Promise<CredentialSource> {
  return registrySecretCredentials(kubeConnection(argv), name);
}

/** k8s:// cosign keys: a Secret's data, read with the kubeconfig, context and namespace of the command. */
export function secretReader(argv: KubeArgv): (namespace: string | undefined, name: string) => Promise<Record<string, Buffer>> {
  return (namespace, name) => readSecretData(kubeConnection(argv), namespace, name);
}
