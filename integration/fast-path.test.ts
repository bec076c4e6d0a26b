// The answers the executables give without loading yargs (cmd/fast-path.ts: help rendered at build
// time, unknown flags) must be exactly what yargs prints. Each case runs the bundle twice, with the
// fast path and with KUBECTL_BUILD_FAST_PATH=0, and compares what a user sees: stdout, stderr, the
// exit code; on a pipe, and on terminals wider and narrower than the help's 110 columns.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const CASES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['kubectl-build', ['--help']],
  ['kubectl-build', ['-h']],
  ['kubectl-build', ['--no-such-flag']],
  ['kubectl-build', ['--no-such-flag', '--other=1', '--no-such-flag']],
  ['kubectl-build', ['--no-such-flag', '-t', 'app:1']],
  ['kubectl-build', ['--Upper']],
  ['kubectl-build', ['-Z']],
  ['kubectl-build', ['--help', '--no-such-flag']],
  ['kubectl-build', ['--debug', '--no-such-flag']],
  ['kubectl-buildkit', ['--help']],
  ['kubectl-buildkit', ['create', '--help']],
  ['kubectl-buildkit', ['ls', '-h']],
  ['kubectl-buildkit', ['rm', '--help']],
  ['kubectl-buildkit', ['version', '--help']],
  ['kubectl-buildkit', ['--no-such-flag']],
  ['kubectl-buildkit', ['--a', '--b']],
  ['kubectl-buildkit', []],
  ['kubectl-buildkit', ['destroy']],
  ['kubectl-trust', ['--help']],
  ['kubectl-trust', ['verify', '--help']],
  ['kubectl-trust', ['--no-such-flag']],
];

function run(executable: string, args: readonly string[], fastPath: boolean) {
  const result = spawnSync(process.execPath, [`dist/${executable}.js`, ...args], {
    env: { ...process.env, KUBECTL_BUILD_FAST_PATH: fastPath ? '1' : '0', BUILDKIT_HOST: 'tcp://127.0.0.1:1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** On a terminal of that many columns (script(1) gives the command a pseudo-terminal). */
function onTerminal(columns: number, executable: string, args: readonly string[], fastPath: boolean): string {
  const command = `stty cols ${columns} rows 40; exec "${process.execPath}" dist/${executable}.js ${args.join(' ')}`;
  const result = spawnSync('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    env: { ...process.env, KUBECTL_BUILD_FAST_PATH: fastPath ? '1' : '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return `${result.status}\n${result.stdout}`;
}

describe('KUBECTL_BUILD_FAST_PATH', () => {
  // Without the program (dist/main.js) the fast path still answers; with the variable at 0 the answer
  // must come from the program, so its absence shows. Otherwise the comparisons below could hold with
  // the variable ignored, both runs taking the fast path.
  it('0 sends --help through the program, which the fast path never loads', () => {
    const dist = join(mkdtempSync(join(tmpdir(), 'kb-fast-path-')), 'dist');
    try {
      cpSync('dist', dist, { recursive: true, filter: (source) => !source.includes(`${sep}release`) });
      rmSync(join(dist, 'main.js'));
      const help = (fastPath: string) => spawnSync(process.execPath, [join(dist, 'kubectl-build.js'), '--help'], { env: { ...process.env, KUBECTL_BUILD_FAST_PATH: fastPath }, encoding: 'utf8', timeout: 30_000 });
      const fast = help('1');
      expect({ status: fast.status, stdout: fast.stdout }).toEqual({ status: 0, stdout: run('kubectl-build', ['--help'], false).stdout });
      const slow = help('0');
      expect(slow.status).not.toBe(0);
      expect(slow.stdout).toBe('');
    } finally {
      rmSync(dirname(dist), { recursive: true, force: true });
    }
  });
});

describe('the fast path prints what yargs prints', () => {
  if (!existsSync('dist/kubectl-build.js')) throw new Error('dist/ is missing: run "make build" first');

  it.each(CASES)('%s %j', (executable, args) => {
    expect(run(executable, args, true)).toEqual(run(executable, args, false));
  });

  it.each([
    ['kubectl-build', ['--help']],
    ['kubectl-trust', ['verify', '--help']],
  ] as const)('%s %j on terminals of 200 and 80 columns', (executable, args) => {
    for (const columns of [200, 80]) {
      const fast = onTerminal(columns, executable, args, true);
      expect(fast).toMatch(/^0\n/);
      expect(fast).toBe(onTerminal(columns, executable, args, false));
    }
  });
});
