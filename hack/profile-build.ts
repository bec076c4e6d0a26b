// Where the client's time goes: CPU profiles (node --cpu-prof) of `kubectl build` (dist/, the
// bundle the single executable carries) for a fully cached build, 10,000 small files cold and
// incremental, and 5 files of 200 MB cold, against one buildkitd; with each run's CPU time
// (user + sys) and peak RSS beside buildctl's for the same case. CPU time is the figure to trust
// on a shared machine; wall time is shown with that caveat. Prints the functions with the most
// self time per case and keeps the .cpuprofile files (open them in Chrome's DevTools).
//   node hack/profile-build.ts           (run `make build` first; PROFILE_KEEP=1 keeps the work folder)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBuildkitd } from './lib/buildkitd.ts';
import { tool } from './lib/paths.ts';
import { stopProcess } from './lib/process.ts';
import { makeContext } from '../bench/lib/contexts.ts';

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

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** The functions with the most self time in a .cpuprofile, as "ms  name  file:line". */
function topSelfTime(file: string, count = 14): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const msById = new Map<number, number>();
  profile.samples.forEach((id, i) => msById.set(id, (msById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'}  ${url.replace(/^.*\//, '')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + (msById.get(node.id) ?? 0));
  }
  return [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${key}`);
}

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.BUILDKIT_HOST;
const prune = () => execFileSync(tool('buildctl'), ['--addr', buildkitd.address, 'prune', '--all'], { stdio: 'ignore' });
const ours = (dir: string, profileDir?: string) =>
  timed(process.execPath, [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), cli, '--progress', 'quiet', '--builder-addr', buildkitd.address, dir], env);
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
  for (const file of readdirSync(profileDir)) for (const line of topSelfTime(join(profileDir, file))) console.log(`    ${line}`);
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
