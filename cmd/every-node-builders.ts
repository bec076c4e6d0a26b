// kubectl build --all-nodes, the cluster side: once every pod of the builder is ready, one of its
// pods on each node it runs on (the one the context maps to, when a node has several), a tunnel to
// each; and the nodes that could run the builder's pods but have none, which the image will miss.
import { KubectlBuildError, errorMessage } from '../pkg/errors/index.ts';
import type { NodeTarget } from '../pkg/build/every-node.ts';
import { nodesForBuilder, pickPod, type BuilderPod } from '../pkg/kube/builders.ts';
import { openBuilderTunnel, type BuilderTunnel } from '../pkg/kube/exec-tunnel.ts';
import { lostPodError } from '../pkg/kube/lost-pod.ts';
import { readyBuilder, type ConnectOptions, type KubeArgv } from './cluster-builders.ts';

export interface EveryNodeConnection {
  readonly builder: { readonly name: string; readonly worker: 'runc' | 'containerd' };
  /** One per node, labelled "node N", in the order of the node names. */
  readonly targets: ReadonlyArray<NodeTarget & { readonly node: string; readonly pod: string }>;
  /** Nodes that take the builder's pods (its node selector, taints, not cordoned) and have none; or why that could not be checked. */
  readonly uncovered: { readonly nodes: readonly string[] } | { readonly unknown: string };
  close(): Promise<void>;
}

/** The ready pods grouped by node, one pod each (the one `contextKey` maps to), in node-name order. */
export function podPerNode(pods: readonly BuilderPod[], contextKey: string): BuilderPod[] {
  const nodes = [...new Set(pods.filter((pod) => pod.ready).map((pod) => pod.node))].sort();
  return nodes.flatMap((node) => pickPod(pods.filter((pod) => pod.node === node), contextKey) ?? []);
}

export async function connectEveryNode(argv: KubeArgv, options: ConnectOptions): Promise<EveryNodeConnection> {
  const { connection, builder } = await readyBuilder(argv, options, true);
  const chosen = podPerNode(builder.pods, options.contextKey);
  if (chosen.length === 0) {
    throw new KubectlBuildError('UNAVAILABLE', `the builder "${builder.name}" has no ready pod (${connection.description})`, { hint: 'see kubectl buildkit ls' });
  }
  let uncovered: EveryNodeConnection['uncovered'];
  try {
    const fit = await nodesForBuilder(connection, builder, '--all-nodes');
    uncovered = { nodes: fit.filter((node) => !chosen.some((pod) => pod.node === node)) };
  } catch (error) {
    uncovered = { unknown: errorMessage(error) };
  }
  const tunnels: BuilderTunnel[] = [];
  try {
    for (const pod of chosen) tunnels.push(await openBuilderTunnel(connection, { pod: pod.name, builder: `builder "${builder.name}"` }));
  } catch (error) {
    for (const tunnel of tunnels) await tunnel.close();
    throw error;
  }
  return {
    builder: { name: builder.name, worker: builder.worker },
    targets: chosen.map((pod, index) => {
      const tunnel = tunnels[index] as BuilderTunnel;
      return {
        label: `node ${pod.node}`,
        node: pod.node,
        pod: pod.name,
        builder: tunnel.address,
        builderFailure: tunnel.failure,
        explain: (error: unknown) => lostPodError(connection, builder.name, pod, error),
      };
    }),
    uncovered,
    async close() {
      for (const tunnel of tunnels) await tunnel.close();
    },
  };
}
