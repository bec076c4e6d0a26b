// The cluster path: a cached build (FROM scratch, one COPY, no output) sent to buildkitd in a
// builder pod of the local cluster, `kubectl build --builder NAME` (the shipped executable: kubeconfig,
// builder lookup, a pods/exec stream running buildctl dial-stdio in the pod) against `buildctl --addr
// kube-pod://POD` (buildctl's own kube-pod connection helper, which runs `kubectl exec -i POD --
// buildctl dial-stdio`, the way buildkit-cli-for-kubectl reaches its builders; it is handed the pod's
// name, so it does no lookup). And the same build on a buildkitd on this machine by its unix socket,
// both clients, for the part that is not the connection. Then the context upload through the tunnel:
// 5 files of 200 MB, cold (the daemon's cache pruned before each run), both clients through the
// pod's pods/exec and both straight to the same pod's buildkitd, by its unix socket reached from this
// machine through /proc/PID/root (the pod's containers run here): the same daemon, image, storage
// and cache, so that the two paths differ only by the connection. Uses the local cluster (started if
// not running) and a namespace of its own. BENCH_RUNS (default 10) for the cached build,
// BENCH_UPLOAD_RUNS (default 3) for the upload.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { clusterRunning, readCluster, startCluster, stopCluster } from '../hack/lib/cluster/index.ts';
import { cacheDir, tool } from '../hack/lib/paths.ts';
import { stopProcess, type ServiceProcess } from '../hack/lib/process.ts';
import { makeContext } from './lib/contexts.ts';
import { linkPlugins, measure } from './lib/process.ts';
import { benchRuns, interleaved, medianMs } from './lib/runs.ts';
import { printCommands, printComparison } from './lib/table.ts';

const RUNS = benchRuns(10);
const UPLOAD_RUNS = Number(process.env.BENCH_UPLOAD_RUNS || 3);
if (!Number.isInteger(UPLOAD_RUNS) || UPLOAD_RUNS < 1) throw new Error(`BENCH_UPLOAD_RUNS=${process.env.BENCH_UPLOAD_RUNS} is not a whole number of runs (1 or more)`);
const BUILDER = 'bench-connect';
const CLUSTER_DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');
const work = mkdtempSync(join(tmpdir(), 'kb-bench-connect-'));
const namespace = `bench-connect-${randomBytes(3).toString('hex')}`;

const startedHere = !clusterRunning(CLUSTER_DIR);
const state = startedHere ? await startCluster({ dir: CLUSTER_DIR }) : readCluster(CLUSTER_DIR);
if (!state) throw new Error('no local cluster');
const services: ServiceProcess[] = [];
// buildctl's kube-pod helper runs the kubectl on PATH, with KUBECONFIG from the environment.
const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: state.kubeconfig, KUBECTL_BUILDKIT_IMAGE: state.images.buildkit, PATH: `${join(tool('kubectl'), '..')}:${process.env.PATH}` };
delete env.BUILDKIT_HOST;
const kubectl = (args: string[]) => execFileSync(tool('kubectl'), args, { encoding: 'utf8', env });

/** The pod's buildkitd socket as this machine sees it: its process is the one in the pod's cgroup. */
function podDaemonAddress(podUid: string): string {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  const daemon = pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'buildkitd' && readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(podUid);
    } catch {
      return false; // The process ended while we looked.
    }
  });
  if (!daemon) throw new Error(`no buildkitd process of the pod ${podUid} on this machine`);
  return `unix:///proc/${daemon}/root/run/buildkit/buildkitd.sock`;
}
try {
  const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd') });
  services.push(buildkitd.process);
  const context = join(work, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY Dockerfile /d\n');
  const plugins = linkPlugins(join(work, 'bin'));
  kubectl(['create', 'namespace', namespace]);
  await measure(plugins['kubectl-buildkit'], ['create', BUILDER, '-n', namespace, '--worker', 'runc'], { env });
  const pod = kubectl(['get', 'pods', '-n', namespace, '-l', `kubectl-build.dev/builder=${BUILDER}`, '-o', 'jsonpath={.items[0].metadata.name}']).trim();
  if (!pod) throw new Error(`builder ${BUILDER} has no pod in ${namespace}`);

  const ours = (target: string[]) => ['--progress', 'quiet', ...target, context];
  const anchor = (address: string) => ['--addr', address, 'build', '--progress', 'quiet', '--frontend', 'dockerfile.v0', '--local', `context=${context}`, '--local', `dockerfile=${context}`];
  const args = {
    'ours cluster': ours(['--builder', BUILDER, '-n', namespace]),
    'buildctl cluster': anchor(`kube-pod://${pod}?namespace=${namespace}`),
    'ours direct': ours(['--builder-addr', buildkitd.address]),
    'buildctl direct': anchor(buildkitd.address),
  };
  const samples = await interleaved(RUNS, {
    'ours cluster': () => measure(plugins['kubectl-build'], args['ours cluster'], { env }),
    'buildctl cluster': () => measure(tool('buildctl'), args['buildctl cluster'], { env }),
    'ours direct': () => measure(plugins['kubectl-build'], args['ours direct'], { env }),
    'buildctl direct': () => measure(tool('buildctl'), args['buildctl direct'], { env }),
  });
  const side = (label: string, name: string) => ({ label, samples: samples[name] ?? [] });
  printComparison('cluster path: a cached build (FROM scratch, one COPY, no output), whole process', RUNS, [
    { what: 'through a builder pod (pods/exec, dial-stdio)', ours: side('`kubectl build --builder NAME`', 'ours cluster'), anchor: side('`buildctl --addr kube-pod://POD build`', 'buildctl cluster') },
    { what: 'a buildkitd on this machine (unix socket)', ours: side('`kubectl build --builder-addr unix://...`', 'ours direct'), anchor: side('`buildctl --addr unix://... build`', 'buildctl direct') },
  ], 'ms');
  printCommands(work, Object.entries(args).map(([name, line]) => `${name.startsWith('ours') ? 'kubectl build' : 'buildctl'} ${line.join(' ')}`));

  // The upload through the tunnel against the same daemon reached directly.
  const large = makeContext(join(work, 'large'), 5, 200 << 20, 5);
  const podDaemon = podDaemonAddress(kubectl(['get', 'pod', pod, '-n', namespace, '-o', 'jsonpath={.metadata.uid}']).trim());
  const ourUpload = (target: string[]) => ['--progress', 'quiet', ...target, large];
  const anchorUpload = (address: string) => ['--addr', address, 'build', '--progress', 'quiet', '--frontend', 'dockerfile.v0', '--local', `context=${large}`, '--local', `dockerfile=${large}`];
  const uploadArgs = {
    'ours cluster': ourUpload(['--builder', BUILDER, '-n', namespace]),
    'buildctl cluster': anchorUpload(`kube-pod://${pod}?namespace=${namespace}`),
    'ours direct': ourUpload(['--builder-addr', podDaemon]),
    'buildctl direct': anchorUpload(podDaemon),
  };
  const cold = (command: string, line: string[]) => () => {
    execFileSync(tool('buildctl'), ['--addr', podDaemon, 'prune', '--all'], { stdio: 'ignore' });
    return measure(command, line, { env });
  };
  const uploads = await interleaved(UPLOAD_RUNS, Object.fromEntries(Object.entries(uploadArgs).map(([name, line]) =>
    [name, cold(name.startsWith('ours') ? plugins['kubectl-build'] : tool('buildctl'), line)])));
  const uploadSide = (label: string, name: string) => ({ label, samples: uploads[name] ?? [] });
  printComparison('context upload through the cluster: 5 files of 200 MB, FROM scratch + COPY . /, cold (the daemon\'s cache pruned before each run), whole process', UPLOAD_RUNS, [
    { what: 'through the builder pod (pods/exec, dial-stdio)', ours: uploadSide('`kubectl build --builder NAME`', 'ours cluster'), anchor: uploadSide('`buildctl --addr kube-pod://POD build`', 'buildctl cluster') },
    { what: 'the same pod\'s buildkitd by its socket (direct)', ours: uploadSide('`kubectl build --builder-addr unix://...`', 'ours direct'), anchor: uploadSide('`buildctl --addr unix://... build`', 'buildctl direct') },
  ], 's');
  const share = (side: 'ours' | 'buildctl') => `${((100 * medianMs(uploads[`${side} direct`])) / medianMs(uploads[`${side} cluster`])).toFixed(0)}%`;
  console.log(`\nthroughput through the tunnel as a share of the direct path's (median direct time / median cluster time): ours ${share('ours')}, buildctl ${share('buildctl')} (goal: ours >= 80%)`);
  printCommands(work, Object.entries(uploadArgs).map(([name, line]) => `${name.startsWith('ours') ? 'kubectl build' : 'buildctl'} ${line.join(' ')}`));
} finally {
  try {
    kubectl(['delete', 'namespace', namespace, '--wait=false']);
  } catch {
    // The namespace was never made.
  }
  for (const service of services.reverse()) await stopProcess(service);
  if (startedHere) await stopCluster(CLUSTER_DIR);
  rmSync(work, { recursive: true, force: true });
}
