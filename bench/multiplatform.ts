// A 2-platform build (linux/amd64 native, linux/arm64 under QEMU) pushed as one image index:
// `kubectl build --platform linux/amd64,linux/arm64 --push` (the shipped executable) against
// `buildctl build` of the same platforms in one solve, same Dockerfile, same buildkitd and registry,
// both --no-cache (every run builds both platforms). The RUN step hashes for a while
// (integration/fixtures/arch-probe, BENCH_HASH_ROUNDS). BENCH_RUNS (default 3).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { tool } from '../hack/lib/paths.ts';
import { stopProcess, type ServiceProcess } from '../hack/lib/process.ts';
import { startRegistry } from '../hack/lib/registry.ts';
import { linkPlugins, measure } from './lib/process.ts';
import { benchRuns, interleaved } from './lib/runs.ts';
import { printCommands, printComparison } from './lib/table.ts';

const HASH_ROUNDS = process.env.BENCH_HASH_ROUNDS ?? '3000000';
const PLATFORMS = 'linux/amd64,linux/arm64';
const RUNS = benchRuns(3);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-multi-'));
const services: ServiceProcess[] = [];
try {
  const registry = await startRegistry({ kind: 'oci', dir: join(work, 'registry') });
  services.push(registry.process);
  const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd'), registries: [{ host: registry.host, plainHttp: true }] });
  services.push(buildkitd.process);
  const context = join(work, 'context');
  for (const arch of ['amd64', 'arm64']) {
    execFileSync('go', ['build', '-trimpath', '-o', join(context, `probe-${arch}`), '.'], {
      cwd: 'integration/fixtures/arch-probe',
      env: { ...process.env, GOOS: 'linux', GOARCH: arch, CGO_ENABLED: '0', GOFLAGS: '' },
    });
  }
  writeFileSync(join(context, 'Dockerfile'), `FROM scratch\nARG TARGETARCH\nCOPY probe-\${TARGETARCH} /probe\nRUN ["/probe", "/out", "${HASH_ROUNDS}"]\n`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BUILDKIT_HOST;
  const plugins = linkPlugins(join(work, 'bin'));
  const ours = ['--progress', 'quiet', '--no-cache', '--builder-addr', buildkitd.address, '--platform', PLATFORMS, '-t', `${registry.host}/multi/ours:1`, '--push', context];
  const anchor = ['--addr', buildkitd.address, 'build', '--progress', 'quiet', '--no-cache', '--frontend', 'dockerfile.v0', '--opt', `platform=${PLATFORMS}`,
    '--local', `context=${context}`, '--local', `dockerfile=${context}`, '--output', `type=image,name=${registry.host}/multi/anchor:1,push=true`];

  const samples = await interleaved(RUNS, {
    ours: () => measure(plugins['kubectl-build'], ours, { env }),
    anchor: () => measure(tool('buildctl'), anchor, { env }),
  });
  printComparison(`multi-platform: ${PLATFORMS} (arm64 under QEMU, ${HASH_ROUNDS} hash rounds in a RUN), built --no-cache and pushed as one index to a local registry`, RUNS, [{
    what: '2 platforms, one image index',
    ours: { label: '`kubectl build --platform linux/amd64,linux/arm64 --push`', samples: samples.ours ?? [] },
    anchor: { label: '`buildctl build --opt platform=linux/amd64,linux/arm64` (one solve, push)', samples: samples.anchor ?? [] },
  }], 's');
  printCommands(work, [`kubectl build ${ours.join(' ')}`, `buildctl ${anchor.join(' ')}`]);
} finally {
  for (const service of services.reverse()) await stopProcess(service);
  rmSync(work, { recursive: true, force: true });
}
