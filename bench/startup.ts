// Start-up benchmark: the fast commands through kubectl's plugin lookup, for both forms of the
// plugins, against `kubectl --help` and against the floor of any Node plugin: kubectl running a
// plugin that only runs `node -e 0` with the same Node. All cases run interleaved in one run (the
// order turns each round), so that they see the same load. Forms: the bundle as `make install`
// puts it on PATH (a launcher running dist/ with Node), and the single executable of `make release`
// linked under each plugin's name (as install.sh and krew do). Also each form with its fast path
// off (KUBECTL_BUILD_FAST_PATH=0: yargs renders help and usage errors), to show what it saves.
// Goal: help and usage errors within 1.15x of the floor. BENCH_RUNS (default 20).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tool } from '../hack/lib/paths.ts';
import { linkPlugins } from './lib/process.ts';
import { benchRuns, median } from './lib/runs.ts';

const RUNS = benchRuns(20);
const GOAL = 1.15;
const kubectl = tool('kubectl');

const scratch = mkdtempSync(join(tmpdir(), 'kb-bench-'));
const bin = (form: string) => join(scratch, form, 'bin');
execFileSync('hack/install.sh', [join(scratch, 'bundle'), process.cwd()], { stdio: 'ignore' });
linkPlugins(bin('sea'));
// The floor: a plugin that starts the same Node, launched the way make install's launchers are.
mkdirSync(bin('floor'), { recursive: true });
writeFileSync(join(bin('floor'), 'kubectl-floor'), `#!/bin/sh\nexec "${process.execPath}" -e 0\n`, { mode: 0o755 });

interface Case {
  readonly label: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The exit code the command must end with (a usage error is 2). */
  readonly status: number;
  /** Held to the goal (help and usage errors, fast path on). */
  readonly goal: boolean;
  readonly samples: number[];
}

const envFor = (form: string, extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, ...extra, PATH: `${bin(form)}:${bin('floor')}:${process.env.PATH}` });
const COMMANDS: ReadonlyArray<readonly [string[], number]> = [
  [['build', '--help'], 0],
  [['build', '--no-such-flag'], 2],
  [['buildkit', '--help'], 0],
  [['trust', '--help'], 0],
];
const FORM_NAMES: Record<string, string> = { bundle: 'bundle', sea: 'single executable' };
const cases: Case[] = [
  { label: '`kubectl --help`', args: ['--help'], env: envFor('floor'), status: 0, goal: false, samples: [] },
  { label: 'floor: `kubectl floor`, a plugin running `node -e 0`', args: ['floor'], env: envFor('floor'), status: 0, goal: false, samples: [] },
];
for (const form of ['bundle', 'sea']) {
  for (const [args, status] of COMMANDS) cases.push({ label: `${FORM_NAMES[form]}: \`kubectl ${args.join(' ')}\``, args, env: envFor(form), status, goal: true, samples: [] });
  for (const [args, status] of COMMANDS.slice(0, 2)) {
    cases.push({ label: `${FORM_NAMES[form]}, fast path off: \`kubectl ${args.join(' ')}\``, args, env: envFor(form, { KUBECTL_BUILD_FAST_PATH: '0' }), status, goal: false, samples: [] });
  }
}

for (const c of cases) {
  // One warm-up run each (page cache), and a check that the command does what it should.
  const warm = spawnSync(kubectl, c.args, { env: c.env, encoding: 'utf8' });
  if (warm.status !== c.status) throw new Error(`${c.label} exited ${warm.status}: ${warm.stderr}`);
}
for (let round = 0; round < RUNS; round++) {
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + round) % cases.length] as Case;
    const start = performance.now();
    spawnSync(kubectl, c.args, { env: c.env, stdio: 'ignore' });
    c.samples.push(performance.now() - start);
  }
}
rmSync(scratch, { recursive: true, force: true });

const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)] ?? NaN;
const kubectlVersion = execFileSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).split('\n')[0];
console.log(`start-up, through kubectl's plugin lookup; ${RUNS} runs each after one warm-up, interleaved; ${kubectlVersion}, node ${process.versions.node}\n`);
const [kubectlHelp, floor] = [median(cases[0]?.samples ?? []), median(cases[1]?.samples ?? [])];
console.log('| | median | p90 | / `kubectl --help` | / floor | goal (<= ' + GOAL.toFixed(2) + 'x floor) |\n|---|---|---|---|---|---|');
let met = true;
for (const c of cases) {
  const m = median(c.samples);
  const verdict = c.goal ? (m / floor <= GOAL ? 'met' : 'NOT met') : '';
  if (c.goal && m / floor > GOAL) met = false;
  console.log(`| ${c.label} | ${m.toFixed(1)} ms | ${p90(c.samples).toFixed(1)} ms | ${(m / kubectlHelp).toFixed(2)}x | ${(m / floor).toFixed(2)}x | ${verdict} |`);
}
console.log(`\nhelp and usage errors within ${GOAL.toFixed(2)}x of the floor, both forms: ${met ? 'MET' : 'NOT MET'}`);
