// Key signing as a user feels it: there is no command of ours that signs a digest already pushed
// (signing is part of `kubectl build --push --sign`), so the comparison is the whole job, a cached
// build pushed and signed, `kubectl build --push --sign --cosign-key` (the shipped executable)
// against `buildctl build --push` followed by `cosign sign --key` on the digest buildctl reports;
// and the same build pushed without signing on both sides, so that the difference of the two rows is
// what signing adds on each side. Same buildkitd and build cache, same registry; both write the
// legacy .sig layout without a transparency log. BENCH_RUNS (default 10).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tool } from '../hack/lib/paths.ts';
import { stopProcess, type ServiceProcess } from '../hack/lib/process.ts';
import { signingAdds, startBuildPush, unsignedCases, unsignedRow } from './lib/build-push.ts';
import { inSequence, measure } from './lib/process.ts';
import { benchRuns, interleaved } from './lib/runs.ts';
import { printCommands, printComparison } from './lib/table.ts';

const RUNS = benchRuns(10);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-sign-'));
const services: ServiceProcess[] = [];
try {
  const bench = await startBuildPush(work, services);
  execFileSync(tool('cosign-v3'), ['generate-key-pair', '--output-key-prefix', join(work, 'cosign')], { env: bench.env, cwd: work, stdio: 'ignore' });
  const key = join(work, 'cosign.key');
  const cosignSign = ['sign', '--yes', '--key', key, '--tlog-upload=false', '--use-signing-config=false', '--new-bundle-format=false'];

  const samples = await interleaved(RUNS, {
    ...unsignedCases(bench),
    'ours sign': () => bench.kubectlBuild('sign/ours', ['--sign', '--cosign-key', key, '--tlog-upload=false']),
    'buildctl + cosign sign': () => inSequence(
      () => bench.buildctlBuild('sign/anchor'),
      () => measure(tool('cosign-v3'), [...cosignSign, bench.buildctlPushed('sign/anchor')], { env: bench.env, cwd: work }),
    ),
  });
  const side = (label: string, name: string) => ({ label, samples: samples[name] ?? [] });
  printComparison('sign (key): a cached build of a small image, pushed to a local registry (auth), signed with a cosign key, no log', RUNS, [
    unsignedRow(samples),
    {
      what: 'build + push + sign',
      ours: side('`kubectl build --push --sign --cosign-key`', 'ours sign'),
      anchor: side('`buildctl build --push` then `cosign sign --key` (v3)', 'buildctl + cosign sign'),
    },
  ], 's');
  console.log(`\nsigning adds (difference of the medians): ours ${signingAdds(samples, 'ours sign', 'ours')}, buildctl then cosign ${signingAdds(samples, 'buildctl + cosign sign', 'anchor')}`);
  printCommands(work, [...bench.commands(), `kubectl build ... --sign --cosign-key ${key} --tlog-upload=false`, `cosign ${cosignSign.join(' ')} IMAGE@DIGEST`]);
} finally {
  for (const service of services.reverse()) await stopProcess(service);
  rmSync(work, { recursive: true, force: true });
}
