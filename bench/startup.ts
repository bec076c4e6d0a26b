// Start-up benchmark: `kubectl build --help` through kubectl's plugin lookup, against
// `kubectl --help` itself, on this machine in one run (runs interleaved so that both see the same
// load). Also the bundle alone, without kubectl in front. Goal: at most 2x kubectl's own.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tool } from '../hack/lib/paths.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const kubectl = tool('kubectl');
const prefix = mkdtempSync(join(tmpdir(), 'kb-bench-'));
execFileSync('hack/install.sh', [prefix, process.cwd()], { stdio: 'ignore' });
const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };

interface Case {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
  readonly samples: number[];
}

const cases: Case[] = [
  { label: 'kubectl --help', command: kubectl, args: ['--help'], samples: [] },
  { label: 'kubectl build --help', command: kubectl, args: ['build', '--help'], samples: [] },
  { label: 'kubectl buildkit --help', command: kubectl, args: ['buildkit', '--help'], samples: [] },
  { label: 'kubectl-build --help (no kubectl)', command: join(prefix, 'bin', 'kubectl-build'), args: ['--help'], samples: [] },
];

for (const c of cases) {
  // One warm-up run each (page cache), and a check that the command works at all.
  const warm = spawnSync(c.command, c.args, { env, encoding: 'utf8' });
  if (warm.status !== 0) throw new Error(`${c.label} failed: ${warm.stderr}`);
}
for (let i = 0; i < RUNS; i++) {
  for (const c of cases) {
    const start = performance.now();
    spawnSync(c.command, c.args, { env, stdio: 'ignore' });
    c.samples.push(performance.now() - start);
  }
}
rmSync(prefix, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)] ?? NaN;
const kubectlVersion = execFileSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).split('\n')[0];
console.log(`start-up, ${RUNS} runs each, ${kubectlVersion}, node ${process.versions.node}`);
const baseline = median(cases[0]?.samples ?? []);
for (const c of cases) {
  const m = median(c.samples);
  console.log(`  ${c.label.padEnd(36)} median ${m.toFixed(1).padStart(7)} ms   p90 ${p90(c.samples).toFixed(1).padStart(7)} ms   ${(m / baseline).toFixed(2)}x kubectl`);
}
const ratio = median(cases[1]?.samples ?? []) / baseline;
console.log(`kubectl build --help / kubectl --help = ${ratio.toFixed(2)} (goal: <= 2.00) ${ratio <= 2 ? 'MET' : 'NOT MET'}`);
