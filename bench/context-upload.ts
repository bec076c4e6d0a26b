// Context upload: `kubectl build` (the shipped executable) against `buildctl build` on the same
// buildkitd. FROM scratch + COPY . / for a context of 10,000 small files and one of 5 files of
// 200 MB; each run of a side: the daemon's cache pruned, a cold build, then the same context again
// (incremental). Wall time and the client's peak RSS (GNU time), medians and ratios ours / buildctl.
// Goal: ratio <= 1.0, memory flat in file size. BENCH_RUNS (default 3).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { tool } from '../hack/lib/paths.ts';
import { stopProcess } from '../hack/lib/process.ts';
import { makeContext } from './lib/contexts.ts';
import { linkPlugins, measure, type Run } from './lib/process.ts';
import { benchRuns, interleaved, median } from './lib/runs.ts';
import { printCommands, printComparison, type Row } from './lib/table.ts';

const RUNS = benchRuns(3);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-upload-'));
const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd') });

interface ColdThenIncremental {
  readonly ms: number;
  readonly cold: Run;
  readonly incremental: Run;
}

try {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BUILDKIT_HOST;
  const plugins = linkPlugins(join(work, 'bin'));
  const rssFile = join(work, 'rss');
  const clients = {
    'kubectl build': (dir: string) => [plugins['kubectl-build'], ['--progress', 'quiet', '--builder-addr', buildkitd.address, dir]] as const,
    'buildctl build': (dir: string) => [tool('buildctl'), ['--addr', buildkitd.address, 'build', '--progress', 'quiet', '--frontend', 'dockerfile.v0',
      '--local', `context=${dir}`, '--local', `dockerfile=${dir}`]] as const,
  };
  const coldThenIncremental = (client: keyof typeof clients, dir: string) => async (): Promise<ColdThenIncremental> => {
    execFileSync(tool('buildctl'), ['--addr', buildkitd.address, 'prune', '--all'], { stdio: 'ignore' });
    const [command, args] = clients[client](dir);
    const cold = await measure(command, args, { env, rssFile });
    const incremental = await measure(command, args, { env, rssFile });
    return { ms: cold.ms, cold, incremental };
  };
  const contexts = {
    '10,000 files of 100 B': makeContext(join(work, 'small'), 10_000, 100, 100),
    '5 files of 200 MB': makeContext(join(work, 'large'), 5, 200 << 20, 5),
  };
  const rows: Row[] = [];
  const memory: string[] = [];
  for (const [label, dir] of Object.entries(contexts)) {
    const samples = await interleaved(RUNS, {
      ours: coldThenIncremental('kubectl build', dir),
      anchor: coldThenIncremental('buildctl build', dir),
    });
    for (const phase of ['cold', 'incremental'] as const) {
      const [ours, anchor] = [samples.ours ?? [], samples.anchor ?? []].map((runs) => runs.map((run) => run[phase]));
      rows.push({ what: `${label}, ${phase}`, ours: { label: '`kubectl build`', samples: ours ?? [] }, anchor: { label: '`buildctl build`', samples: anchor ?? [] } });
      const [mine, theirs] = [ours, anchor].map((runs) => median((runs ?? []).map((run) => run.rssMb ?? NaN))) as [number, number];
      memory.push(`| ${label}, ${phase} | ${mine.toFixed(0)} MB | ${theirs.toFixed(0)} MB | ${(mine / theirs).toFixed(2)} |`);
    }
  }
  const version = execFileSync(tool('buildkitd'), ['--version'], { encoding: 'utf8' }).trim();
  printComparison(`context upload: FROM scratch + COPY . /, cold (daemon cache pruned) then incremental (same context again); ${version}`, RUNS, rows, 's');
  console.log('\nthe client\'s peak RSS, median\n\n| | `kubectl build` | `buildctl build` | ours / anchor |\n|---|---|---|---|');
  for (const line of memory) console.log(line);
  printCommands(work, [`kubectl build ${clients['kubectl build']('CONTEXT')[1].join(' ')}`, `buildctl ${clients['buildctl build']('CONTEXT')[1].join(' ')}`]);
} finally {
  await stopProcess(buildkitd.process);
  rmSync(work, { recursive: true, force: true });
}
