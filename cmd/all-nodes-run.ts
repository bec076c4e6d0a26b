// kubectl build --all-nodes: the same build on the builder's pod on each of its nodes, each loading
// the image into its own node's containerd, so that Pods with imagePullPolicy: Never find it on any
// of them. Every node's outcome is said: where the image is, which node failed and why, and which
// nodes could run Pods but have no builder pod (so no image).
import { runOnEveryNode, type NodeOutcome } from '../pkg/build/every-node.ts';
import type { RunBuildOptions } from '../pkg/build/run.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { BuildArgv } from './build-run.ts';
import type { ConnectOptions } from './cluster-builders.ts';

/** What --all-nodes cannot be combined with, checked before anything connects. */
export function checkAllNodesFlags(argv: BuildArgv, inCluster: boolean): void {
  const refuse = (what: string, hint: string) => {
    throw new KubectlBuildError('USAGE', `--all-nodes ${what}`, { hint });
  };
  if (!inCluster) refuse('builds on the builder pods in the cluster, but --builder-addr / BUILDKIT_HOST names a daemon outside it', 'leave out --all-nodes or build through the cluster');
  if (argv.node) refuse('and --node both say where to build', 'use --node NODE for one node, --all-nodes for every node of the builder');
  if (argv.load === false) refuse('loads the image into every node, and --load=false says not to load it', 'leave out --load=false');
  const other = [argv.push && '--push', argv.output.length > 0 && '--output', argv.sign && '--sign', argv.iidfile && '--iidfile', argv['metadata-file'] && '--metadata-file'].filter(Boolean);
  if (other.length > 0) {
    // Each node builds its own image (its own creation time, so its own digest): there is no single
    // image to push, sign or name in a file.
    refuse(`builds one image per node, so it cannot be combined with ${other.join(', ')}`, 'push (and sign) with a build of its own: Pods that pull from a registry need no --all-nodes');
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Builds on every node of the builder; resolves when every node got the image, else throws naming the nodes that did not. */
export async function buildOnEveryNode(argv: BuildArgv, options: Omit<RunBuildOptions, 'builder' | 'builderFailure'>, connect: ConnectOptions): Promise<void> {
  const { connectEveryNode } = await import('./every-node-builders.ts');
  const quiet = options.progress === 'quiet';
  const say = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const every = await connectEveryNode(argv, connect);
  let outcomes: NodeOutcome[];
  try {
    if (every.builder.worker === 'runc') {
      throw new KubectlBuildError('USAGE', `--all-nodes loads into each node's containerd, and the builder "${every.builder.name}" uses runc`, {
        hint: `recreate it with kubectl buildkit rm ${every.builder.name} && kubectl buildkit create ${every.builder.name} --per-node --worker containerd`,
      });
    }
    say(`building with the builder "${every.builder.name}" on each of its ${every.targets.length} node(s): ${every.targets.map((target) => `pod ${target.pod} on node ${target.node}`).join(', ')}`);
    outcomes = await runOnEveryNode(options, every.targets);
  } finally {
    await every.close();
  }
  if (options.signal?.aborted) throw new KubectlBuildError('CANCELLED', 'the build was cancelled');
  const loaded: string[] = [];
  const failed: Array<{ node: string; error: KubectlBuildError }> = [];
  for (const [index, outcome] of outcomes.entries()) {
    const target = every.targets[index];
    if (!target) continue;
    if ('result' in outcome) {
      loaded.push(target.node);
      const names = outcome.result.exports.map((exported) => exported.destination.split(',').join(', ')).join(', ');
      say(`loaded ${names} into the container runtime of node ${target.node} (pod ${target.pod}) in ${seconds(outcome.result.durationMs)}`);
    } else {
      failed.push({ node: target.node, error: outcome.error });
    }
  }
  if ('nodes' in every.uncovered) {
    for (const node of every.uncovered.nodes) {
      say(`node ${node} can run the builder's pods but has none, so the image is not there (kubectl buildkit create ${every.builder.name} --per-node puts one on every node)`);
    }
  } else {
    say(`could not check for nodes without a pod of the builder (${every.uncovered.unknown})`);
  }
  if (failed.length === 0) {
    say(`loaded on every node of the builder "${every.builder.name}" (${loaded.join(', ')}): run it there with imagePullPolicy: Never`);
    return;
  }
  // Where the image is comes first: a build error may run over several lines (its log tail).
  const missing = failed.map(({ node }) => node).join(', ');
  const where = loaded.length > 0 ? `the image is loaded on node ${loaded.join(', ')} only, not on node ${missing}` : `the image was not loaded on node ${missing}`;
  const reasons = failed.length === 1 ? failed[0]?.error.message : failed.map(({ node, error }) => `node ${node}: ${error.message}`).join('; ');
  const [first] = failed;
  throw new KubectlBuildError(first?.error.code ?? 'BUILD_FAILED', `${where}: ${reasons}`, {
    hint: failed.length === 1 && first?.error.hint ? first.error.hint : `run the build again (with --node ${first?.node ?? 'NODE'} for one node)`,
    cause: first?.error,
  });
}
