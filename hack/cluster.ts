// hack/cluster up|down|status: the local single-node Kubernetes (hack/lib/cluster). `up` prints
// `export KUBECONFIG=...` on stdout (eval it); progress and errors go to stderr. State and logs live
// in $KUBECTL_BUILD_CACHE/cluster (logs are kept after `down`).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { clusterRunning, processRunning, readCluster, startCluster, stopCluster } from './lib/cluster/index.ts';
import { cacheDir, tool } from './lib/paths.ts';

const DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');

function say(message: string): void {
  process.stderr.write(`[cluster] ${message}\n`);
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

const healthy = () => clusterRunning(DIR);

async function up(): Promise<void> {
  if (!healthy()) {
    if (readCluster(DIR)) await stopCluster(DIR, say);
    await startCluster({ dir: DIR, detached: true, log: say });
  } else {
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
  for (const service of cluster.processes) {
    say(`${service.name.padEnd(24)} pid ${String(service.pid).padEnd(8)} ${processRunning(service) ? 'running' : 'NOT RUNNING'}  log ${service.logFile}`);
  }
  if (!healthy()) return false;
  const nodes = execFileSync(tool('kubectl'), ['--kubeconfig', cluster.kubeconfig, 'get', 'nodes', '-o', 'wide'], { encoding: 'utf8' });
  process.stderr.write(nodes);
  return true;
}

const command = process.argv[2];
try {
  if (command === 'up') await up();
  else if (command === 'down') {
    await stopCluster(DIR, say);
    say(`down; logs kept in ${join(DIR, 'logs')}`);
  } else if (command === 'status') process.exitCode = status() ? 0 : 1;
  else {
    process.stderr.write('usage: hack/cluster up|down|status\n');
    process.exitCode = 2;
  }
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
