// Start-up benchmark: the fast commands through kubectl's plugin lookup, for both forms of the
// plugins, against `kubectl --help` and against the floor of any Node plugin: kubectl running a
// plugin that only runs `node -e 0` with the same Node. All cases run interleaved in one run (the
// order turns each round), so that they see the same load. Forms: the bundle as `make install`
// puts it on PATH (a launcher running dist/ with Node), and the single executable of `make release`
// linked under each plugin's name (as install.sh and krew do). Also each form with its fast path
// off (KUBECTL_BUILD_FAST_PATH=0: yargs renders help and usage errors), to show what it saves.
// Goal: help and usage errors within 1.15x of the floor. BENCH_RUNS (default 20).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tool } from '../hack/lib/paths.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const GOAL = 1.15;
const kubectl = tool('kubectl');
const sea = resolve('dist', 'release', `linux-${process.arch === 'x64' ? 'amd64' : 'arm64'}`, 'kubectl-build');
if (!existsSync(sea)) throw new Error(`${sea} is missing: run "make release" first`);

const scratch = mkdtempSync(join(tmpdir(), 'kb-bench-'));
const bin = (form: string) => join(scratch, form, 'bin');
execFileSync('hack/install.sh', [join(scratch, 'bundle'), process.cwd()], { stdio: 'ignore' });
mkdirSync(bin('sea'), { recursive: true });
for (const name of ['kubectl-build', 'kubectl-buildkit', 'kubectl-trust']) symlinkSync(sea, join(bin('sea'), name));
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
const cases: Case[] = [
  { label: 'kubectl --help', args: ['--help'], env: envFor('floor'), status: 0, goal: false, samples: [] },
  { label: 'kubectl floor (node -e 0)', args: ['floor'], env: envFor('floor'), status: 0, goal: false, samples: [] },
];
for (const form of ['bundle', 'sea']) {
  for (const [args, status] of COMMANDS) cases.push({ label: `${form}: kubectl ${args.join(' ')}`, args, env: envFor(form), status, goal: true, samples: [] });
  for (const [args, status] of COMMANDS.slice(0, 2)) {
    cases.push({ label: `${form}: kubectl ${args.join(' ')} (fast path off)`, args, env: envFor(form, { KUBECTL_BUILD_FAST_PATH: '0' }), status, goal: false, samples: [] });
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

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const p90 = (xs: number[]) => sorted(xs)[Math.floor(xs.length * 0.9)] ?? NaN;
const kubectlVersion = execFileSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).split('\n')[0];
console.log(`start-up, ${RUNS} runs each, interleaved; ${kubectlVersion}, node ${process.versions.node}`);
const [kubectlHelp, floor] = [median(cases[0]?.samples ?? []), median(cases[1]?.samples ?? [])];
console.log(`  ${'case'.padEnd(50)} ${'median'.padStart(9)} ${'p90'.padStart(9)}   ${'/kubectl'.padStart(8)} ${'/floor'.padStart(7)}`);
let met = true;
for (const c of cases) {
  const m = median(c.samples);
  const verdict = c.goal ? (m / floor <= GOAL ? '  goal met' : '  goal NOT met') : '';
  if (c.goal && m / floor > GOAL) met = false;
  console.log(`  ${c.label.padEnd(50)} ${m.toFixed(1).padStart(6)} ms ${p90(c.samples).toFixed(1).padStart(6)} ms   ${(m / kubectlHelp).toFixed(2).padStart(7)}x ${(m / floor).toFixed(2).padStart(6)}x${verdict}`);
}
console.log(`help and usage errors within ${GOAL.toFixed(2)}x of the floor, both forms: ${met ? 'MET' : 'NOT MET'}`);
