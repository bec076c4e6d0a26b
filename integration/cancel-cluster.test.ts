// The builder's daemon killed inside its pod in the middle of a build (docs/faults.md, "Cancel and
// kill"): the buildkitd process of the builder pod, found through the node's containerd and killed
// from this machine (SIGKILL, as the kernel's OOM killer does), while a RUN step holds the test's
// server. A pod deleted mid-build is cluster.test.ts' "builder pod is deleted in the middle of a build".
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from './harness/cli.ts';
import { useCluster, useClusterRegistry, writeBuildkitdConfig } from './harness/cluster.ts';
import { scratchDir } from './harness/index.ts';
import { manifestState } from './harness/registry-state.ts';
import { skipUnlessPossible } from './harness/skip.ts';
import { useStepSignals } from './harness/step-signals.ts';

const cluster = useCluster();
const registry = useClusterRegistry();
const signals = useStepSignals(() => cluster().hostAddress);

interface Pod {
  metadata: { name: string };
  spec: { nodeName: string };
  status: { containerStatuses?: Array<{ containerID?: string }> };
}

/** Kills the first container of `pod` by its process on the node, through that node's containerd. */
function killContainer(pod: Pod): void {
  const node = cluster().localNodes.find((candidate) => candidate.name === pod.spec.nodeName);
  const id = pod.status.containerStatuses?.[0]?.containerID?.replace('containerd://', '');
  if (!node || !id) throw new Error(`no container or node known for ${pod.metadata.name}: ${JSON.stringify(pod.status)}`);
  const tasks = execFileSync('ctr', ['--address', node.containerdSocket, '-n', 'k8s.io', 'tasks', 'ls'], { encoding: 'utf8' });
  const pid = tasks.split('\n').find((line) => line.startsWith(`${id} `))?.trim().split(/\s+/)[1];
  if (!pid) throw new Error(`containerd of ${node.name} runs no task ${id}:\n${tasks}`);
  process.kill(Number(pid), 'SIGKILL');
}

it('cancel-cluster buildkitd killed (SIGKILL) inside the builder pod while a RUN step runs: exit 1, the builder named, nothing pushed', async (context) => {
  skipUnlessPossible(context, cluster().local ? undefined : 'the container is killed through the local cluster\'s containerd');
  const env = cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir });
  const config = writeBuildkitdConfig(registry(), scratchDir('config'));
  const created = await runCli('kubectl-buildkit', ['create', 'oomed', '--worker', 'runc', '--config', config, '-n', cluster().namespace], { env });
  expect(created.status, created.stderr).toBe(0);

  const dir = scratchDir('cancel-cluster');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN wget -qO- ${signals().url}/hold/oomed && echo finished > /finished\n`);
  const tag = `${registry().host}/cancel/oomed:1`;
  const killed = signals()
    .holdOpened('oomed')
    .then(async () => {
      const pods = JSON.parse(await cluster().kubectl(['get', 'pods', '-l', 'kubectl-build.dev/builder=oomed', '-o', 'json'])).items as Pod[];
      for (const pod of pods) killContainer(pod);
    });
  const result = await runCli('kubectl-build', ['--progress=plain', '-n', cluster().namespace, '--builder', 'oomed', '-t', tag, '--push', dir], { env, timeoutMs: 180_000 });
  await killed;
  expect(result.status, result.stderr.slice(-1500)).toBe(1);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, result.stderr.slice(-1500)).toHaveLength(1);
  // Said by the tunnel: the exec's exit status (killed) or, when its WebSocket closed before the
  // status came, the connection lost; or, if Kubernetes already saw the container stop, the
  // builder's state. Never "buildctl is missing".
  expect(errors[0]).toMatch(
    /^error: (lost the BuildKit daemon of the pod oomed-\S+ of builder "oomed" during the build: it was killed \(SIGKILL.*, so nothing was built or pushed|the builder pod oomed-\S+ stopped \(\w+\) during the build, so nothing was built or pushed|lost the connection to the pod oomed-\S+ of builder "oomed" \(.*\))$/,
  );
  expect(result.stderr).toMatch(/^hint: /m);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(await manifestState(registry().registry, tag)).toBe('absent');
}, 240_000);
