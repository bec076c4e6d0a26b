// Key-based signing of a pushed image: kubectl-build's signing against `cosign sign --key`, on the
// same image and registry, in one run (runs interleaved). Both write the legacy .sig layout without
// a transparency log. Prints median wall time and the ratio; goal: <= 1.0.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { performance } from 'node:perf_hooks';
import { writeClientFiles } from '../hack/lib/client-files.ts';
import { tool } from '../hack/lib/paths.ts';
import { stopProcess } from '../hack/lib/process.ts';
import { randomPassword, startRegistry } from '../hack/lib/registry.ts';
import { seedBaseImage } from '../hack/lib/seed.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-sign-'));
const registry = await startRegistry({ kind: 'distribution', dir: join(work, 'registry'), auth: { username: 'bench', password: randomPassword() } });
try {
  const files = writeClientFiles(work, [registry]);
  const reference = await seedBaseImage(registry, files);
  const digest = execFileSync(tool('skopeo'), ['inspect', '--format', '{{.Digest}}', '--authfile', files.authFile, '--tls-verify=false', `docker://${reference}`], { encoding: 'utf8' }).trim();
  const image = `${registry.host}/library/busybox@${digest}`;
  const env = { ...process.env, DOCKER_CONFIG: files.dockerConfigDir, COSIGN_PASSWORD: 'bench', TUF_ROOT: join(work, 'tuf') };
  execFileSync(tool('cosign-v3'), ['generate-key-pair', '--output-key-prefix', join(work, 'cosign')], { env, stdio: 'ignore' });
  const key = join(work, 'cosign.key');

  // Bundled as the CLI is shipped, so both sides pay only their real start-up.
  const bundled = join(work, 'sign-once.mjs');
  await build({
    entryPoints: ['bench/sign-once.ts'], outfile: bundled, bundle: true, format: 'esm', platform: 'node', target: 'node24', minify: true, logLevel: 'warning',
    external: ['*.node'],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  });
  const cases = {
    'kubectl-build signing': [process.execPath, [bundled, key, image]],
    'cosign sign --key (v3)': [tool('cosign-v3'), ['sign', '--yes', '--key', key, '--tlog-upload=false', '--use-signing-config=false', '--new-bundle-format=false', image]],
  } as const;
  const samples: Record<string, number[]> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, [command, args]] of Object.entries(cases)) {
      const start = performance.now();
      const run = spawnSync(command, [...args], { env, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
      (samples[name] ??= []).push(performance.now() - start);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  console.log(`key-based signing of a pushed image, ${RUNS} runs each, median (the .sig tag grows by one signature per run)`);
  for (const [name, xs] of Object.entries(samples)) console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(0).padStart(6)} ms`);
  const [ours, theirs] = Object.values(samples).map(median) as [number, number];
  console.log(`ratio ours/cosign: ${(ours / theirs).toFixed(2)} (goal: <= 1.00)`);
} finally {
  await stopProcess(registry.process);
  rmSync(work, { recursive: true, force: true });
}
