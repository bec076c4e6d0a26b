// The cluster path: a cached build (FROM scratch, one COPY, no output) sent to buildkitd in a
// builder pod of the local cluster, `kubectl build --builder NAME` (the shipped executable: kubeconfig,
// builder lookup, a pods/exec stream running buildctl dial-stdio in the pod) against `buildctl --addr
// kube-pod://POD` (buildctl's own kube-pod connection helper, which runs `kubectl exec -i POD --
// buildctl dial-stdio`, the way buildkit-cli-for-kubectl reaches its builders; it is handed the pod's
// name, so it does no lookup). And the same build on a buildkitd on this machine by its unix socket,
// both clients, for the part that is not the connection. Uses the local cluster (started if not
// running) and a namespace of its own. BENCH_RUNS (default 10).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { clusterRunning, readCluster, startCluster, stopCluster } from '../hack/lib/cluster/index.ts';
import { cacheDir, tool } from '../hack/lib/paths.ts';
import { stopProcess, type ServiceProcess } from '../hack/lib/process.ts';
import { linkPlugins, measure } from './lib/process.ts';
import { benchRuns, interleaved } from './lib/runs.ts';
import { printCommands, printComparison } from './lib/table.ts';

const RUNS = benchRuns(10);
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
