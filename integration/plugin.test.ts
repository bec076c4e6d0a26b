// The executables as a user meets them: installed by `make install` (hack/install.sh), found by
// kubectl's plugin lookup, answering --help, and failing in one sentence.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tool } from '../hack/lib/paths.ts';
import { scratchDir, useBuildkitd } from './harness/index.ts';

const buildkitd = useBuildkitd();
const prefix = mkdtempSync(join(tmpdir(), 'kb-prefix-'));
const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };

function kubectl(...args: string[]) {
  return spawnSync(tool('kubectl'), args, { env, encoding: 'utf8', timeout: 30_000 });
}

beforeAll(() => {
  if (!existsSync('dist/kubectl-build.js')) throw new Error('dist/ is missing: run "make build" first');
  execFileSync('hack/install.sh', [prefix, process.cwd()], { env, stdio: 'pipe' });
});
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

describe('installed as kubectl plugins', () => {
  it('kubectl lists both plugins', () => {
    const result = kubectl('plugin', 'list');
    expect(result.stdout).toContain(join(prefix, 'bin', 'kubectl-build'));
    expect(result.stdout).toContain(join(prefix, 'bin', 'kubectl-buildkit'));
  });

  it('kubectl build --help shows docker-build flags under kubectl\'s name', () => {
    const result = kubectl('build', '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('kubectl build [options] PATH | -');
    for (const flag of ['--file', '--tag', '--build-arg', '--platform', '--push', '--secret', '--kubeconfig', '--builder-addr']) {
      expect(result.stdout).toContain(flag);
    }
  });

  it('kubectl buildkit --help lists the builder commands', () => {
    const result = kubectl('buildkit', '--help');
    expect(result.status).toBe(0);
    for (const command of ['create [name]', 'ls', 'rm [name]', 'version']) {
      expect(result.stdout).toContain(`kubectl buildkit ${command}`);
    }
  });

  it('kubectl completes the plugins\' flags, flag values and subcommands', () => {
    const lines = (...words: string[]) => kubectl('__complete', ...words).stdout.trim().split('\n');
    expect(lines('build', '--pla')).toEqual(['--platform', ':0']);
    expect(lines('build', '--progress', 'q')).toEqual(['quiet', ':0']);
    expect(lines('buildkit', 'cr')).toEqual(['create', ':0']);
  });

  it('kubectl-build completion prints a script bash sources to complete the executables run directly', () => {
    // What a user's shell does on TAB: COMP_WORDS holds the words typed, the function fills COMPREPLY.
    const completeIn = (executable: string, words: string[]) => {
      const script = spawnSync(executable, ['completion'], { env, encoding: 'utf8' });
      expect(script.status, script.stderr).toBe(0);
      expect(script.stderr).toBe('');
      const file = join(scratchDir('completion'), `${executable}.bash`);
      writeFileSync(file, script.stdout);
      const fn = `_${executable.replace(/-/g, '_')}_completions`;
      const shell = `source ${file} && complete -p ${executable} && COMP_WORDS=(${words.join(' ')}) && COMP_CWORD=${words.length - 1} && ${fn} && printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = spawnSync('bash', ['-c', shell], { env, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      return result.stdout.trim().split('\n');
    };
    expect(completeIn('kubectl-build', ['kubectl-build', '--no-c'])).toEqual([`complete -o bashdefault -o default -F _kubectl_build_completions kubectl-build`, '--no-cache']);
    expect(completeIn('kubectl-build', ['kubectl-build', '--progress', 'q']).slice(1)).toEqual(['quiet']);
    expect(completeIn('kubectl-buildkit', ['kubectl-buildkit', 'cr']).slice(1)).toEqual(['create']);
  });

  it('a bad flag is a usage error: exit 2, one sentence and a hint, no stack trace', () => {
    const result = kubectl('build', '--bogus-flag');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('error: Unknown argument: bogus-flag\nhint: run "kubectl build --help" for usage\n');
  });
});

describe('a build context folder named verify', () => {
  // Why verification is a plugin of its own (kubectl trust): `kubectl build verify` must build the
  // folder, which a `verify` subcommand (or a kubectl-build-verify plugin) would take instead.
  it('kubectl build verify builds it: the files it holds come out', () => {
    const dir = scratchDir('cwd');
    mkdirSync(join(dir, 'verify'));
    writeFileSync(join(dir, 'verify', 'Dockerfile'), 'FROM scratch\nCOPY marker /marker\n');
    writeFileSync(join(dir, 'verify', 'marker'), 'built from the folder named verify\n');
    const result = spawnSync(tool('kubectl'), ['build', '--progress=plain', '-o', `type=local,dest=${join(dir, 'out')}`, 'verify'], {
      env: { ...env, BUILDKIT_HOST: buildkitd().address },
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status, result.stderr.slice(-1000)).toBe(0);
    expect(readFileSync(join(dir, 'out', 'marker'), 'utf8')).toBe('built from the folder named verify\n');
  });
});

describe('on a Node.js older than 24', () => {
  it('refuses in one sentence that names the version needed', () => {
    // Node 18, what Debian 12 users have: a pinned test peer, so this runs on every machine.
    const oldNode = tool('node-old');
    if (!existsSync(oldNode)) throw new Error(`${oldNode} is missing: run "hack/tools.sh install"`);
    const version = execFileSync(oldNode, ['--version'], { encoding: 'utf8' }).trim().slice(1);
    const result = spawnSync(oldNode, ['dist/kubectl-build.js', '--help'], { encoding: 'utf8' });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 1, stdout: '' });
    expect(result.stderr).toMatch(new RegExp(`^error: kubectl-build needs Node.js 24 or newer, and this is Node.js ${version.replaceAll('.', '\\.')}\\.\n`));
  });

  it('kubectl trust says so with exit 2, "no verdict", never 1, which means the policy does not hold', () => {
    const oldNode = tool('node-old');
    if (!existsSync(oldNode)) throw new Error(`${oldNode} is missing: run "hack/tools.sh install"`);
    const result = spawnSync(oldNode, ['dist/kubectl-trust.js', 'verify', '--key', 'cosign.pub', 'registry.example/app:1'], { encoding: 'utf8' });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    expect(result.stderr).toMatch(/^error: kubectl-build needs Node\.js 24 or newer, and this is Node\.js [\d.]+\.\nhint: .+\n$/);
  });
});
