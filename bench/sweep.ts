// kubectl trust sweep over 100 running Pods that share 10 images (each digest verified once),
// against what a hand-assembled sweep does: `cosign verify` once per Pod, in a shell loop. The local
// cluster (started if needed), a registry on its node, 10 repositories of the same base image, half
// of them signed with a key. Prints the medians, the ratio, and checks that both give the same
// verdict Pod by Pod. BENCH_RUNS (default 5).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeClientFiles } from '../hack/lib/client-files.ts';
import { clusterRunning, readCluster, startCluster, stopCluster, trustPlainHttpRegistry } from '../hack/lib/cluster/index.ts';
import { cacheDir, tool } from '../hack/lib/paths.ts';
import { stopProcess } from '../hack/lib/process.ts';
import { startRegistry } from '../hack/lib/registry.ts';
import { seedBaseImage } from '../hack/lib/seed.ts';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
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
  const ours = (): { ms: number; verdicts: Map<string, string>; images: number } => {
    const started = performance.now();
    const run = spawnSync(process.execPath, [resolve('dist/kubectl-trust.js'), 'sweep', '-n', namespace, '--policy', policy, '--allow-http-registry', '-o', 'json'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    const ms = performance.now() - started;
    if (run.status !== 1) throw new Error(`kubectl trust sweep exited ${run.status}: ${run.stderr}`);
    const report = JSON.parse(run.stdout) as { containers: Array<{ pod: string; verdict: { outcome: string } }>; images: unknown[] };
    return { ms, verdicts: new Map(report.containers.map((row) => [row.pod, row.verdict.outcome])), images: report.images.length };
  };
  // The hand-assembled sweep: cosign verify for every Pod's image, one process each.
  const loopScript = podImages.map(([pod, image]) => `if ${tool('cosign-v3')} verify --key ${join(work, 'release.pub')} --insecure-ignore-tlog=true --allow-http-registry ${image} >/dev/null 2>&1; then echo "${pod} pass"; else echo "${pod} fail"; fi`).join('\n');
  const loop = (): { ms: number; verdicts: Map<string, string> } => {
    const started = performance.now();
    const run = spawnSync('bash', ['-c', loopScript], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    return { ms: performance.now() - started, verdicts: new Map(run.stdout.trim().split('\n').map((line) => line.split(' ') as [string, string])) };
  };

  const mine: number[] = [];
  const theirs: number[] = [];
  let last: ReturnType<typeof ours> | undefined;
  let lastLoop: ReturnType<typeof loop> | undefined;
  for (let round = 0; round < RUNS; round++) {
    // Interleaved, each side first every other round.
    for (const side of round % 2 === 0 ? ['ours', 'loop'] : ['loop', 'ours']) {
      if (side === 'ours') {
        last = ours();
        mine.push(last.ms);
      } else {
        lastLoop = loop();
        theirs.push(lastLoop.ms);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const differ = podImages.filter(([pod]) => last?.verdicts.get(pod) !== lastLoop?.verdicts.get(pod));
  console.log(`sweep of ${podImages.length} running Pods sharing ${IMAGES} images (half signed), ${RUNS} runs each interleaved, median`);
  console.log(`  kubectl trust sweep (one process)          ${(median(mine) / 1000).toFixed(2)} s   (${last?.images} images verified, once each)`);
  console.log(`  cosign-v3 verify per Pod (shell loop)       ${(median(theirs) / 1000).toFixed(2)} s`);
  console.log(`  ratio ours/loop: ${(median(mine) / median(theirs)).toFixed(3)}, ${(median(theirs) / median(mine)).toFixed(1)}x faster`);
  console.log(`verdicts: ${[...(last?.verdicts.values() ?? [])].filter((v) => v === 'pass').length} pods pass with ours, ${[...(lastLoop?.verdicts.values() ?? [])].filter((v) => v === 'pass').length} with cosign; ${differ.length} differ`);
  if (differ.length > 0) throw new Error(`verdicts differ for ${differ.map(([pod]) => pod).join(', ')}`);
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
