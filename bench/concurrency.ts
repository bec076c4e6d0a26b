// Many builds at once: 1, 2, 4 and 8 concurrent `kubectl build` processes (the shipped executable),
// each of a context of its own, against one builder of 2 replicas on the 2 nodes of the local
// cluster (its replicas prefer different nodes). Each build copies busybox and a file of fresh random
// bytes (new every run, so never cached) and hashes it in a RUN step; nothing is exported. A round is
// N builds started together, timed until the last one ends: builds per minute = N / round time. Each
// build says which pod it went to (`pod P on node N`): the table counts them, for how builds spread.
// Uses the local cluster with 2 nodes (started if none runs; refused if it runs with 1) and a
// namespace of its own. BENCH_RUNS (default 3) rounds of each concurrency, interleaved.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clusterNodes, clusterRunning, readCluster, startCluster, stopCluster } from '../hack/lib/cluster/index.ts';
import { cacheDir, tool } from '../hack/lib/paths.ts';
import { linkPlugins, measure, type Run } from './lib/process.ts';
import { benchRuns, interleaved, median, type Measured } from './lib/runs.ts';
import { printCommands, summary } from './lib/table.ts';

const RUNS = benchRuns(3);
const CONCURRENCY = [1, 2, 4, 8] as const;
const DATA_BYTES = 8 << 20;
const BUILDER = 'bench-concurrency';
const CLUSTER_DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');
const work = mkdtempSync(join(tmpdir(), 'kb-bench-concurrency-'));
const namespace = `bench-concurrency-${randomBytes(3).toString('hex')}`;

// The machine may be shared: its load when the benchmark starts and ends goes with the table.
const loadAtStart = loadavg()[0] ?? NaN;
const startedHere = !clusterRunning(CLUSTER_DIR);
const state = startedHere ? await startCluster({ dir: CLUSTER_DIR, nodes: 2 }) : readCluster(CLUSTER_DIR);
if (!state) throw new Error('no local cluster');
if (clusterNodes(state).length < 2) {
  throw new Error(`the local cluster runs with ${clusterNodes(state).length} node(s); this benchmark needs 2 (hack/cluster down && hack/cluster up --nodes 2)`);
}
const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: state.kubeconfig, KUBECTL_BUILDKIT_IMAGE: state.images.buildkit };
delete env.BUILDKIT_HOST;
const kubectl = (args: string[]) => execFileSync(tool('kubectl'), args, { encoding: 'utf8', env });

interface Round extends Measured {
  /** "pod on node" of each build of the round. */
  readonly pods: readonly string[];
}

try {
  const plugins = linkPlugins(join(work, 'bin'));
  kubectl(['create', 'namespace', namespace]);
  await measure(plugins['kubectl-buildkit'], ['create', BUILDER, '-n', namespace, '--replicas', '2', '--worker', 'runc'], { env });
  const nodes = kubectl(['get', 'pods', '-n', namespace, '-l', `kubectl-build.dev/builder=${BUILDER}`, '-o', 'jsonpath={.items[*].spec.nodeName}']).trim().split(/\s+/);
  if (new Set(nodes).size < 2) throw new Error(`the builder's 2 pods run on ${nodes.join(', ')}: not on 2 nodes`);

  // One context folder per build slot, the same folders every round (each goes to its own pod).
  const contexts = Array.from({ length: Math.max(...CONCURRENCY) }, (_, n) => {
    const dir = join(work, `context-${n}`);
    mkdirSync(dir);
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY data /data\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox sha256sum /data > /sum"]\n');
    return dir;
  });
  const buildOne = (dir: string): Promise<Run> => {
    writeFileSync(join(dir, 'data'), randomBytes(DATA_BYTES));
    return measure(plugins['kubectl-build'], ['--progress', 'plain', '-n', namespace, '--builder', BUILDER, dir], { env });
  };
  const round = async (count: number): Promise<Round> => {
    const started = performance.now();
    const runs = await Promise.all(contexts.slice(0, count).map(buildOne));
    const ms = performance.now() - started;
    return { ms, pods: runs.map((run) => /building with the builder "[^"]+": (pod \S+ on node \S+)/.exec(run.stderr)?.[1] ?? '(not said)') };
  };
  const samples = await interleaved(RUNS, Object.fromEntries(CONCURRENCY.map((count) => [String(count), () => round(count)])));

  console.log(`\nconcurrent kubectl build runs against a builder of 2 replicas on 2 nodes (runc worker; each build: COPY busybox, COPY ${DATA_BYTES >> 20} MiB of fresh random bytes, RUN sha256sum; nothing exported); ${RUNS} rounds each after one warm-up, interleaved; median (min-max); 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${(loadavg()[0] ?? NaN).toFixed(2)} at the end, on ${cpus().length} CPUs`);
  console.log('');
  console.log('| concurrent builds | round (all N done) | builds per minute | builds per pod (all rounds) |');
  console.log('|---|---|---|---|');
  for (const count of CONCURRENCY) {
    const rounds = samples[String(count)] ?? [];
    const perPod = new Map<string, number>();
    for (const pod of rounds.flatMap((one) => one.pods)) perPod.set(pod, (perPod.get(pod) ?? 0) + 1);
    const spread = [...perPod].sort(([a], [b]) => a.localeCompare(b)).map(([pod, builds]) => `${pod}: ${builds}`).join('; ');
    const perMinute = (count * 60_000) / median(rounds.map((one) => one.ms));
    console.log(`| ${count} | ${summary(rounds, 's')} | ${perMinute.toFixed(1)} | ${spread} |`);
  }
  printCommands(work, [`kubectl build --progress plain -n ${namespace} --builder ${BUILDER} ${join(work, 'context-K')}   # N of them at once, K = 0 to N-1`]);
} finally {
  try {
    kubectl(['delete', 'namespace', namespace, '--wait=false']);
  } catch {
    // The namespace was never made.
  }
  if (startedHere) await stopCluster(CLUSTER_DIR);
  rmSync(work, { recursive: true, force: true });
}
