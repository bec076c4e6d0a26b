// Context upload: kubectl build against buildctl build on the same buildkitd, in one run.
// FROM scratch + COPY . / for a context of 10,000 small files and one of 5 files of 200 MB, cold
// (daemon cache pruned) and incremental (same context again). Prints wall time and the client's
// peak RSS (GNU time), and the ratios ours/buildctl. Goal: ratio <= 1.0, memory flat in file size.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { stopProcess } from '../hack/lib/process.ts';
import { tool } from '../hack/lib/paths.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-upload-'));
const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd') });

function makeContext(name: string, files: number, size: number, perDir: number): string {
  const dir = join(work, name);
  const block = randomBytes(Math.min(size, 1 << 20));
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(sub, { recursive: true });
    const content = size <= block.length ? block.subarray(0, size) : Buffer.concat(Array.from({ length: size / block.length }, () => block));
    writeFileSync(join(sub, `f${i}`), content);
  }
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  return dir;
}

interface Sample {
  seconds: number;
  rssMb: number;
}

function timed(command: string, args: string[]): Sample {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', command, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`${command} failed:\n${run.stderr}`);
  return parseTime(run.stderr);
}

function parseTime(stderr: string): Sample {
  const last = stderr.trim().split('\n').pop() ?? '';
  const [seconds, kilobytes] = last.split(' ').map(Number);
  return { seconds: seconds ?? NaN, rssMb: (kilobytes ?? NaN) / 1024 };
}

const clients = {
  'kubectl build': (dir: string) =>
    timed(process.execPath, [resolve('dist/kubectl-build.js'), '--progress', 'quiet', '--builder-addr', buildkitd.address, dir]),
  'buildctl build': (dir: string) =>
    timed(tool('buildctl'), ['--addr', buildkitd.address, 'build', '--progress', 'quiet', '--frontend', 'dockerfile.v0',
      '--local', `context=${dir}`, '--local', `dockerfile=${dir}`]),
};

function prune(): void {
  execFileSync(tool('buildctl'), ['--addr', buildkitd.address, 'prune', '--all'], { stdio: 'ignore' });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

try {
  console.log(`context upload, ${ROUNDS} rounds, median; buildkitd ${execFileSync(tool('buildkitd'), ['--version'], { encoding: 'utf8' }).trim()}`);
  const contexts = {
    '10,000 files of 100 B': makeContext('small', 10_000, 100, 100),
    '5 files of 200 MB': makeContext('large', 5, 200 << 20, 5),
  };
  for (const [label, dir] of Object.entries(contexts)) {
    const results: Record<string, { cold: Sample[]; incremental: Sample[] }> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(clients)) {
        results[name] ??= { cold: [], incremental: [] };
        prune();
        results[name].cold.push(run(dir));
        results[name].incremental.push(run(dir));
      }
    }
    console.log(`\n${label}`);
    const summary: Record<string, Record<string, Sample>> = {};
    for (const [name, samples] of Object.entries(results)) {
      for (const phase of ['cold', 'incremental'] as const) {
        const s = { seconds: median(samples[phase].map((x) => x.seconds)), rssMb: median(samples[phase].map((x) => x.rssMb)) };
        (summary[phase] ??= {})[name] = s;
        console.log(`  ${phase.padEnd(12)} ${name.padEnd(15)} ${s.seconds.toFixed(2).padStart(7)} s   peak RSS ${s.rssMb.toFixed(0).padStart(5)} MB`);
      }
    }
    for (const phase of ['cold', 'incremental'] as const) {
      const ours = summary[phase]?.['kubectl build'];
      const theirs = summary[phase]?.['buildctl build'];
      if (ours && theirs) {
        console.log(`  ${phase.padEnd(12)} ratio ours/buildctl: time ${(ours.seconds / theirs.seconds).toFixed(2)}, memory ${(ours.rssMb / theirs.rssMb).toFixed(2)}`);
      }
    }
  }
} finally {
  await stopProcess(buildkitd.process);
  rmSync(work, { recursive: true, force: true });
}
