// A Kubernetes cluster for the cluster suite, and a registry its pods can reach.
//
// - TEST_KUBECONFIG set: that cluster (a kind or cloud cluster), used as it is; TEST_REGISTRY names
//   a registry (host:port) that both its pods and this machine reach, without auth;
//   TEST_BUILDKIT_IMAGE may name the BuildKit image (default: the CLI's own default).
// - Otherwise the local cluster of hack/cluster: reused when `hack/cluster up` (or the local stack)
//   already runs it, else started here with LOCAL_CLUSTER_NODES nodes and stopped after the file. Its registry listens on the
//   node's bridge address, which pods reach and containerd is told to pull from over HTTP.
//
// Each file gets a namespace of its own, deleted afterwards.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { clusterNodes, clusterRunning, readCluster, startCluster, stopCluster, trustPlainHttpRegistry, type ClusterNode } from '../../hack/lib/cluster/index.ts';
import { cacheDir, tool } from '../../hack/lib/paths.ts';
import { randomPassword, startRegistry, type Registry } from '../../hack/lib/registry.ts';
import { writeClientFiles, type ClientFiles } from '../../hack/lib/client-files.ts';
import { seedBaseImage } from '../../hack/lib/seed.ts';
import { declareService, type Handle } from './index.ts';

const run = promisify(execFile);

export interface TestCluster {
  readonly kubeconfig: string;
  readonly namespace: string;
  /** BuildKit image for builders (KUBECTL_BUILDKIT_IMAGE). */
  readonly buildkitImage: string;
  /** Whether this is the local cluster (so node-level checks such as containerd's image list work). */
  readonly local: boolean;
  /** The local cluster's nodes with their containerd sockets (none with TEST_KUBECONFIG). */
  readonly localNodes: readonly ClusterNode[];
  /**
   * An address of this machine that pods (and so RUN steps in builder pods) reach: the local node's
   * bridge address, or TEST_HOST_ADDRESS with TEST_KUBECONFIG.
   */
  readonly hostAddress: string;
  /** Runs kubectl against the cluster, in the file's namespace unless -n/--namespace is given. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
  /** The environment for the CLI: KUBECONFIG, the namespace's builder image. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

export interface ClusterRegistry {
  /** host:port as pods and this machine write it. */
  readonly host: string;
  /** buildkitd.toml that lets builders use it (plain HTTP). */
  readonly buildkitdConfig: string;
  /** Busybox base image in it. */
  readonly baseImage: string;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly files: ClientFiles;
  /** For skopeo and the image helpers. */
  readonly registry: Registry;
}

/** The local cluster's folder (hack/cluster's). */
export const LOCAL_CLUSTER_DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');

/**
 * How many nodes the suite starts the local cluster with when none runs: two, so that what crosses
 * nodes (builders spread over them, --load on one node) is tested (hack/cluster up --nodes 2).
 */
export const LOCAL_CLUSTER_NODES = 2;


/** The cluster and a fresh namespace, for the enclosing file. */
export function useCluster(): Handle<TestCluster> {
  let cluster: TestCluster | undefined;
  let startedHere = false;
  beforeAll(async () => {
    const external = process.env.TEST_KUBECONFIG;
    let kubeconfig: string;
    let buildkitImage: string;
    let hostAddress: string;
    let localNodes: readonly ClusterNode[] = [];
    if (external) {
      kubeconfig = external;
      buildkitImage = process.env.TEST_BUILDKIT_IMAGE ?? '';
      hostAddress = process.env.TEST_HOST_ADDRESS ?? '';
    } else {
      if (!clusterRunning(LOCAL_CLUSTER_DIR)) {
        await startCluster({ dir: LOCAL_CLUSTER_DIR, nodes: LOCAL_CLUSTER_NODES });
        startedHere = true;
      }
      const state = readCluster(LOCAL_CLUSTER_DIR);
      if (!state) throw new Error('the local cluster has no state after start');
      kubeconfig = state.kubeconfig;
      buildkitImage = state.images.buildkit;
      hostAddress = state.nodeIp;
      localNodes = clusterNodes(state);
    }
    const namespace = `kb-test-${randomBytes(3).toString('hex')}`;
    const kubectl = async (args: readonly string[], input?: string) => {
      const hasNamespace = args.some((arg) => arg === '-n' || arg.startsWith('--namespace') || arg === '-A');
      const child = run(tool('kubectl'), ['--kubeconfig', kubeconfig, ...(hasNamespace ? [] : ['-n', namespace]), ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
      if (input !== undefined) child.child.stdin?.end(input);
      return (await child).stdout;
    };
    await kubectl(['create', 'namespace', namespace, '-n', 'default']);
    cluster = {
      kubeconfig,
      namespace,
      buildkitImage,
      local: !external,
      localNodes,
      get hostAddress() {
        if (!hostAddress) throw new Error('set TEST_HOST_ADDRESS to an address of this machine that the pods of TEST_KUBECONFIG reach');
        return hostAddress;
      },
      kubectl,
      env: (extra = {}) => ({
        KUBECONFIG: kubeconfig,
        ...(buildkitImage ? { KUBECTL_BUILDKIT_IMAGE: buildkitImage } : {}),
        ...extra,
      }),
    };
  }, 300_000);
  afterAll(async () => {
    if (cluster) await cluster.kubectl(['delete', 'namespace', cluster.namespace, '--wait=false', '-n', 'default']).catch(() => {});
    if (startedHere) await stopCluster(LOCAL_CLUSTER_DIR);
  }, 120_000);
  return () => {
    if (!cluster) throw new Error('the cluster is not started: use the handle inside a test');
    return cluster;
  };
}

/** A registry pods reach (TEST_REGISTRY, or one on the local node's bridge address). */
export function useClusterRegistry(options: { auth?: boolean } = {}): Handle<ClusterRegistry> {
  return declareService('cluster-registry', async (dir, track) => {
    const external = process.env.TEST_REGISTRY;
    if (external) {
      const files = writeClientFiles(dir, []);
      const registry: Registry = { kind: 'distribution', host: external, url: `http://${external}`, referrers: false, process: { name: 'external', pid: 0, logFile: '' } };
      const baseImage = await seedBaseImage(registry, files);
      return { host: external, buildkitdConfig: buildkitdConfigFor(external), baseImage, files, registry };
    }
    const state = readCluster(LOCAL_CLUSTER_DIR);
    if (!state) throw new Error('useClusterRegistry needs useCluster declared before it');
    const auth = options.auth ? { username: 'cluster-user', password: randomPassword() } : undefined;
    const registry = await startRegistry({ kind: 'distribution', dir, listenAddress: state.nodeIp, ...(auth ? { auth } : {}) });
    track(registry.process);
    trustPlainHttpRegistry(state, registry.host);
    const files = writeClientFiles(dir, [registry]);
    const baseImage = await seedBaseImage(registry, files);
    return { host: registry.host, buildkitdConfig: buildkitdConfigFor(registry.host), baseImage, files, registry, ...(auth ? { auth } : {}) };
  });
}

function buildkitdConfigFor(host: string): string {
  return `[registry."${host}"]\n  http = true\n`;
}

/** Writes the registry's buildkitd.toml into `dir` and returns its path (for create --config). */
export function writeBuildkitdConfig(registry: ClusterRegistry, dir: string): string {
  const file = join(dir, 'buildkitd.toml');
  writeFileSync(file, registry.buildkitdConfig);
  return file;
}
