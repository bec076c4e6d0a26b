// The cost of reaching buildkitd through the cluster: time from the CLI's start to its first Solve
// request (kubectl build --debug reports it), through a builder pod (kubeconfig, builder lookup,
// pods/exec tunnel running buildctl dial-stdio) against a direct --builder-addr to a buildkitd on
// this machine, for the same cached build, in one run. Uses the local cluster (started if needed).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { clusterRunning, readCluster, startCluster, stopCluster } from '../hack/lib/cluster/index.ts';
import { cacheDir } from '../hack/lib/paths.ts';
import { stopProcess } from '../hack/lib/process.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const CLUSTER_DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');
const work = mkdtempSync(join(tmpdir(), 'kb-bench-connect-'));

const startedHere = !clusterRunning(CLUSTER_DIR);
const state = startedHere ? await startCluster({ dir: CLUSTER_DIR }) : readCluster(CLUSTER_DIR);
if (!state) throw new Error('no local cluster');
const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd') });
const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: state.kubeconfig, KUBECTL_BUILDKIT_IMAGE: state.images.buildkit };
delete env.BUILDKIT_HOST;
try {
  const context = join(work, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY Dockerfile /d\n');
  const cli = (args: string[]) => spawnSync(process.execPath, [resolve('dist/kubectl-build.js'), ...args], { encoding: 'utf8', env });
  const created = spawnSync(process.execPath, [resolve('dist/kubectl-buildkit.js'), 'create', 'bench-connect', '--worker', 'runc'], { encoding: 'utf8', env });
  if (created.status !== 0 && !created.stderr.includes('already exists')) throw new Error(created.stderr);

  const solveAt = (args: string[]) => {
    const run = cli(['--progress', 'quiet', '--debug', ...args, context]);
    if (run.status !== 0) throw new Error(`build failed: ${run.stderr}`);
    const match = /Solve request sent (\d+) ms after start/.exec(run.stderr);
    if (!match?.[1]) throw new Error(`no Solve timing in: ${run.stderr}`);
    return Number(match[1]);
  };
  const direct: number[] = [];
  const cluster: number[] = [];
  // One warm-up each: the compile cache, the builder's and the daemon's build cache.
  solveAt(['--builder-addr', buildkitd.address]);
  solveAt(['--builder', 'bench-connect']);
  for (let i = 0; i < RUNS; i++) {
    direct.push(solveAt(['--builder-addr', buildkitd.address]));
    cluster.push(solveAt(['--builder', 'bench-connect']));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  console.log(`start to first Solve request, cached build, ${RUNS} runs each, median (min-max)`);
  console.log(`  direct --builder-addr (unix socket)            ${median(direct)} ms (${Math.min(...direct)}-${Math.max(...direct)})`);
  console.log(`  through the cluster (pods/exec, dial-stdio)    ${median(cluster)} ms (${Math.min(...cluster)}-${Math.max(...cluster)})`);
  console.log(`connection overhead of the cluster: ${median(cluster) - median(direct)} ms`);
  spawnSync(process.execPath, [resolve('dist/kubectl-buildkit.js'), 'rm', 'bench-connect'], { env });
} finally {
  await stopProcess(buildkitd.process);
  if (startedHere) await stopCluster(CLUSTER_DIR);
  rmSync(work, { recursive: true, force: true });
}
