// Where the client's time goes: CPU profiles (node --cpu-prof) of `kubectl build` (dist/, the
// bundle the single executable carries, under the V8 flags it carries) for a fully cached build, 10,000 small files cold and
// incremental, and 5 files of 200 MB cold, against one buildkitd; with each run's CPU time
// (user + sys) and peak RSS beside buildctl's for the same case. CPU time is the figure to trust
// on a shared machine; wall time is shown with that caveat. Prints each profile's time per phase
// (walk + STAT packets, file contents, garbage collector, idle, the rest) and the functions with the
// most self time, named through the bundle's source maps, and keeps the .cpuprofile files (open them
// in Chrome's DevTools).
//   node hack/profile-build.ts           (run `make build` first; PROFILE_KEEP=1 keeps the work folder)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBuildkitd } from './lib/buildkitd.ts';
import { tool } from './lib/paths.ts';
import { V8_FLAGS } from './lib/sea.ts';
import { stopProcess } from './lib/process.ts';
import { makeContext } from '../bench/lib/contexts.ts';
import { phaseTotals, topSelfTime, type CpuProfile } from './lib/cpu-profile.ts';

const work = mkdtempSync(join(tmpdir(), 'kb-profile-'));
const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd') });
const cli = resolve('dist/kubectl-build.js');

interface Usage {
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMb: number;
}

/** One process under GNU time: wall, user + sys, peak RSS. */
function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Usage {
  const out = join(work, 'time');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, command, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${String(result.stderr).slice(-1500)}`);
  const [wall, user, sys, rss] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number, number];
  return { wallS: wall, cpuS: user + sys, rssMb: rss / 1024 };
}

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.BUILDKIT_HOST;
const prune = () => execFileSync(tool('buildctl'), ['--addr', buildkitd.address, 'prune', '--all'], { stdio: 'ignore' });
const ours = (dir: string, profileDir?: string) =>
  timed(process.execPath, [...V8_FLAGS, ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), cli, '--progress', 'quiet', '--builder-addr', buildkitd.address, dir], env);
const theirs = (dir: string) =>
  timed(tool('buildctl'), ['--addr', buildkitd.address, 'build', '--progress', 'quiet', '--frontend', 'dockerfile.v0', '--local', `context=${dir}`, '--local', `dockerfile=${dir}`], env);

const show = (label: string, usage: Usage) => console.log(`  ${label.padEnd(16)} wall ${usage.wallS.toFixed(2)} s  cpu ${usage.cpuS.toFixed(2)} s  rss ${usage.rssMb.toFixed(0)} MB`);

function profileCase(name: string, dir: string, cold: boolean): void {
  const profileDir = join(work, 'profiles', name);
  mkdirSync(profileDir, { recursive: true });
  console.log(`\n## ${name}`);
  if (cold) prune();
  else ours(dir);
  show('kubectl build', ours(dir, profileDir));
  if (cold) prune();
  show('buildctl build', theirs(dir));
  for (const file of readdirSync(profileDir)) {
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
    const phases = Object.entries(phaseTotals(profile)).sort((a, b) => b[1] - a[1]);
    console.log(`    by phase: ${phases.map(([phase, ms]) => `${phase} ${ms.toFixed(0)} ms`).join(', ')}`);
    for (const line of topSelfTime(profile)) console.log(`    ${line}`);
  }
}

try {
  const cached = makeContext(join(work, 'cached'), 3, 100, 10);
  const small = makeContext(join(work, 'small'), 10_000, 100, 100);
  const large = makeContext(join(work, 'large'), 5, 200 << 20, 5);
  profileCase('cached build', cached, false);
  profileCase('10,000 files cold', small, true);
  profileCase('10,000 files incremental', small, false);
  profileCase('5 x 200 MB cold', large, true);
  console.log(`\nprofiles: ${join(work, 'profiles')}`);
} finally {
  await stopProcess(buildkitd.process);
  if (process.env.PROFILE_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
