// kubectl trust sweep over 100 running Pods that share 10 images (each digest verified once),
// against what a hand-assembled sweep does: `cosign verify` once per Pod, in a shell loop. The local
// cluster (started if needed), a registry on its node, 10 repositories of the same base image, half
// of them signed with a key. Prints the medians, the ratio, and checks that both give the same
// verdict Pod by Pod. Ours is the shipped executable (make release) under the name kubectl-trust.
// BENCH_RUNS (default 5), one warm-up of each side first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeClientFiles } from '../hack/lib/client-files.ts';
import { clusterRunning, readCluster, startCluster, stopCluster, trustPlainHttpRegistry } from '../hack/lib/cluster/index.ts';
import { cacheDir, tool } from '../hack/lib/paths.ts';
import { stopProcess } from '../hack/lib/process.ts';
import { startRegistry } from '../hack/lib/registry.ts';
import { seedBaseImage } from '../hack/lib/seed.ts';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { linkPlugins, measure } from './lib/process.ts';
import { benchRuns, interleaved, medianMs } from './lib/runs.ts';
import { printCommands, printComparison } from './lib/table.ts';

const RUNS = benchRuns(5);
const IMAGES = 10;
const PODS_PER_IMAGE = 10;
const CLUSTER_DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');
const work = mkdtempSync(join(tmpdir(), 'kb-bench-sweep-'));
const namespace = `bench-sweep-${Date.now().toString(36)}`;

const startedHere = !clusterRunning(CLUSTER_DIR);
const state = startedHere ? await startCluster({ dir: CLUSTER_DIR }) : readCluster(CLUSTER_DIR);
if (!state) throw new Error('no local cluster');
const registry = await startRegistry({ kind: 'distribution', dir: join(work, 'registry'), listenAddress: state.nodeIp });
const kubectl = (args: string[], input?: string) => execFileSync(tool('kubectl'), ['--kubeconfig', state.kubeconfig, ...args], { encoding: 'utf8', input, maxBuffer: 64 << 20 });
try {
  trustPlainHttpRegistry(state, registry.host);
  const files = writeClientFiles(join(work, 'clients'), [registry]);
  const base = await seedBaseImage(registry, files);
  const env = { ...process.env, KUBECONFIG: state.kubeconfig, DOCKER_CONFIG: files.dockerConfigDir, COSIGN_PASSWORD: 'bench', TUF_ROOT: join(work, 'tuf') };
  execFileSync(tool('cosign-v3'), ['generate-key-pair', '--output-key-prefix', join(work, 'release')], { env, cwd: work, stdio: 'ignore' });

  // 10 repositories of the base image; the even ones signed (legacy layout, no log).
  const images = Array.from({ length: IMAGES }, (_, n) => `${registry.host}/sweep/app-${n}:1`);
  for (const [n, image] of images.entries()) {
    const flags = (side: 'src' | 'dest') => skopeoRegistryFlags(registry, files, side);
    await skopeo(['copy', '--quiet', ...flags('src'), ...flags('dest'), `docker://${base}`, `docker://${image}`]);
    if (n % 2 === 0) {
      execFileSync(tool('cosign-v3'), ['sign', '--yes', '--key', join(work, 'release.key'), '--tlog-upload=false', '--use-signing-config=false', '--new-bundle-format=false', '--allow-http-registry', image], { env, cwd: work, stdio: 'ignore' });
    }
  }
  kubectl(['create', 'namespace', namespace]);
  for (const [n, image] of images.entries()) {
    kubectl(['-n', namespace, 'create', 'deployment', `app-${n}`, `--image=${image}`, `--replicas=${PODS_PER_IMAGE}`, '--', 'sleep', '3600']);
  }
  kubectl(['-n', namespace, 'wait', 'deployment', '--all', '--for=condition=Available', '--timeout=600s']);
  const policy = join(work, 'policy.yaml');
  writeFileSync(policy, `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
signers: [{ name: release, key: ${join(work, 'release.pub')} }]
rules:
  - images: ["${registry.host}/sweep/**"]
    require: { all: [release] }
    transparencyLog: optional
`);

  const pods = JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; spec: { containers: Array<{ image: string }> } }> };
  const podImages = pods.items.map((pod) => [pod.metadata.name, pod.spec.containers[0]?.image ?? ''] as const);
  const trust = linkPlugins(join(work, 'bin'))['kubectl-trust'];
  const sweepArgs = ['sweep', '-n', namespace, '--policy', policy, '--allow-http-registry', '-o', 'json'];
  const ours = async () => {
    // Exit 1: some Pods run images that fail the policy (the unsigned half).
    const run = await measure(trust, sweepArgs, { env, ok: [1] });
    const report = JSON.parse(run.stdout) as { containers: Array<{ pod: string; verdict: { outcome: string } }>; images: unknown[] };
    return { ...run, verdicts: new Map(report.containers.map((row) => [row.pod, row.verdict.outcome])), images: report.images.length };
  };
  // The hand-assembled sweep: cosign verify for every Pod's image, one process each.
  const loopScript = podImages.map(([pod, image]) => `if ${tool('cosign-v3')} verify --key ${join(work, 'release.pub')} --insecure-ignore-tlog=true --allow-http-registry ${image} >/dev/null 2>&1; then echo "${pod} pass"; else echo "${pod} fail"; fi`).join('\n');
  const loop = async () => {
    const run = await measure('bash', ['-c', loopScript], { env });
    return { ...run, verdicts: new Map(run.stdout.trim().split('\n').map((line) => line.split(' ') as [string, string])) };
  };

  const samples = await interleaved(RUNS, { ours, loop });
  const last = samples.ours?.at(-1) as Awaited<ReturnType<typeof ours>> | undefined;
  const lastLoop = samples.loop?.at(-1);
  printComparison(`sweep: ${podImages.length} running Pods sharing ${IMAGES} images (half signed), key policy`, RUNS, [{
    what: `${podImages.length} Pods, ${IMAGES} images`,
    ours: { label: `\`kubectl trust sweep\` (one process; ${last?.images} images verified, once each)`, samples: samples.ours ?? [] },
    anchor: { label: '`cosign-v3 verify` once per Pod (shell loop)', samples: samples.loop ?? [] },
  }], 's');
  console.log(`\n${(medianMs(samples.loop) / medianMs(samples.ours)).toFixed(1)}x faster`);
  const differ = podImages.filter(([pod]) => last?.verdicts.get(pod) !== lastLoop?.verdicts.get(pod));
  console.log(`verdicts: ${[...(last?.verdicts.values() ?? [])].filter((v) => v === 'pass').length} pods pass with ours, ${[...(lastLoop?.verdicts.values() ?? [])].filter((v) => v === 'pass').length} with cosign; ${differ.length} differ`);
  if (differ.length > 0) throw new Error(`verdicts differ for ${differ.map(([pod]) => pod).join(', ')}`);
  printCommands(work, [`kubectl trust ${sweepArgs.join(' ')}`, `cosign-v3 verify --key ${join(work, 'release.pub')} --insecure-ignore-tlog=true --allow-http-registry IMAGE  # for each Pod`]);
} finally {
  try {
    kubectl(['delete', 'namespace', namespace, '--wait=false']);
  } catch {
    // The namespace was never made.
  }
  await stopProcess(registry.process);
  if (startedHere) await stopCluster(CLUSTER_DIR);
  rmSync(work, { recursive: true, force: true });
}
