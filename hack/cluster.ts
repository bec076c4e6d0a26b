// hack/cluster up [--nodes N]|down|status: the local Kubernetes (hack/lib/cluster), one node unless
// --nodes says more (node 1 is this machine, the others live in namespaces of their own). `up` prints
// `export KUBECONFIG=...` on stdout (eval it); progress and errors go to stderr. State and logs live
// in $KUBECTL_BUILD_CACHE/cluster (logs are kept after `down`).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { clusterNodes, clusterRunning, processRunning, readCluster, startCluster, stopCluster } from './lib/cluster/index.ts';
import { cacheDir, tool } from './lib/paths.ts';

const DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');

function say(message: string): void {
  process.stderr.write(`[cluster] ${message}\n`);
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

const healthy = () => clusterRunning(DIR);

/** `--nodes N` or `--nodes=N` from the arguments after the command (default 1). */
function nodesOption(args: readonly string[]): number {
  let nodes = 1;
  for (const [i, arg] of args.entries()) {
    const value = arg === '--nodes' ? args[i + 1] : arg.startsWith('--nodes=') ? arg.slice('--nodes='.length) : undefined;
    if (value === undefined) continue;
    if (!/^\d+$/.test(value)) throw new Error(`--nodes takes a number of nodes, not ${JSON.stringify(value)}`);
    nodes = Number(value);
  }
  return nodes;
}

async function up(nodes: number): Promise<void> {
  if (!healthy()) {
    // startCluster clears what a cluster that ended without `down` left.
    const started = Date.now();
    await startCluster({ dir: DIR, detached: true, log: say, nodes });
    say(`started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    const running = readCluster(DIR);
    const count = running ? clusterNodes(running).length : 0;
    if (count !== nodes) throw new Error(`the cluster is already up with ${count} node(s), not ${nodes}: hack/cluster down, then hack/cluster up --nodes ${nodes}`);
    say('already up');
  }
  const cluster = readCluster(DIR);
  if (!cluster) throw new Error('the cluster state is missing after start');
  process.stdout.write(`export KUBECONFIG=${quote(cluster.kubeconfig)}\nexport KUBECTL_BUILDKIT_IMAGE=${quote(cluster.images.buildkit)}\n`);
}

function status(): boolean {
  const cluster = readCluster(DIR);
  if (!cluster) {
    say('not running (hack/cluster up starts it)');
    return false;
  }
  for (const node of clusterNodes(cluster)) say(`node ${node.index}: ${node.name} at ${node.ip}, pods in ${node.podSubnet}, containerd ${node.containerdSocket}`);
  for (const service of cluster.processes) {
    say(`${service.name.padEnd(40)} pid ${String(service.pid).padEnd(8)} ${processRunning(service) ? 'running' : 'NOT RUNNING'}  log ${service.logFile}`);
  }
  if (!healthy()) return false;
  const nodes = execFileSync(tool('kubectl'), ['--kubeconfig', cluster.kubeconfig, 'get', 'nodes', '-o', 'wide'], { encoding: 'utf8' });
  process.stderr.write(nodes);
  return true;
}

const command = process.argv[2];
try {
  if (command === 'up') await up(nodesOption(process.argv.slice(3)));
  else if (command === 'down') {
    await stopCluster(DIR, say);
    say(`down; logs kept in ${join(DIR, 'logs')}`);
  } else if (command === 'status') process.exitCode = status() ? 0 : 1;
  else {
    process.stderr.write('usage: hack/cluster up [--nodes N] | down | status\n');
    process.exitCode = 2;
  }
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
