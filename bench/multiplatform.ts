// A 2-platform build (linux/amd64 native, linux/arm64 under QEMU), with its platforms built in
// parallel (one kubectl build --platform a,b) against one after the other (two builds), on the same
// buildkitd and registry, in one run. The RUN step hashes for a while (integration/fixtures/arch-probe).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { stopProcess } from '../hack/lib/process.ts';
import { startRegistry } from '../hack/lib/registry.ts';

const ROUNDS = process.env.BENCH_HASH_ROUNDS ?? '3000000';
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-multi-'));
const registry = await startRegistry({ kind: 'oci', dir: join(work, 'registry') });
const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd'), registries: [{ host: registry.host, plainHttp: true }] });
try {
  const context = join(work, 'context');
  for (const arch of ['amd64', 'arm64']) {
    execFileSync('go', ['build', '-trimpath', '-o', join(context, `probe-${arch}`), '.'], {
      cwd: 'integration/fixtures/arch-probe',
      env: { ...process.env, GOOS: 'linux', GOARCH: arch, CGO_ENABLED: '0', GOFLAGS: '' },
    });
  }
  writeFileSync(join(context, 'Dockerfile'), `FROM scratch\nARG TARGETARCH\nCOPY probe-\${TARGETARCH} /probe\nRUN ["/probe", "/out", "${ROUNDS}"]\n`);
  const build = (platforms: string) => {
    const run = spawnSync(process.execPath, [resolve('dist/kubectl-build.js'), '--progress', 'quiet', '--no-cache', '--builder-addr', buildkitd.address,
      '--platform', platforms, '-t', `${registry.host}/bench/multi:1`, '--push', context], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`build ${platforms} failed: ${run.stderr}`);
  };
  const timed = (fn: () => void) => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  };
  const parallel: number[] = [];
  const sequential: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    parallel.push(timed(() => build('linux/amd64,linux/arm64')));
    sequential.push(timed(() => {
      build('linux/amd64');
      build('linux/arm64');
    }));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  console.log(`2-platform build (amd64 native + arm64 under QEMU, ${ROUNDS} hash rounds), ${RUNS} runs, median`);
  console.log(`  parallel (--platform linux/amd64,linux/arm64)   ${(median(parallel) / 1000).toFixed(2)} s`);
  console.log(`  one after the other (two builds)                ${(median(sequential) / 1000).toFixed(2)} s`);
  console.log(`ratio parallel/sequential: ${(median(parallel) / median(sequential)).toFixed(2)}`);
} finally {
  await stopProcess(buildkitd.process);
  await stopProcess(registry.process);
  rmSync(work, { recursive: true, force: true });
}
