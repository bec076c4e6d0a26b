// The npm package (make release runs npm pack) as a user installs it: `npm install -g` of the
// tarball into a fresh prefix, offline with an empty cache (so it cannot download anything), then
// the plugins through kubectl's plugin lookup, their completion helpers, and, started by a Node
// older than 24 (Node 18, a pinned test peer), one sentence naming the Node needed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tool, toolsBinDir } from '../hack/lib/paths.ts';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
const tarball = resolve('dist/release', `${pkg.name}-${pkg.version}.tgz`);
const scratch = mkdtempSync(join(tmpdir(), 'kb-npm-'));
const prefix = join(scratch, 'prefix');
const PATH = `${join(prefix, 'bin')}:${toolsBinDir()}:${process.env.PATH}`;
let install: { stdout: string; stderr: string };

function kubectl(args: string[], path = PATH) {
  return spawnSync(tool('kubectl'), args, { env: { ...process.env, PATH: path }, encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run "make release" first`);
  const args = ['install', '--global', '--prefix', prefix, '--offline', '--cache', join(scratch, 'empty-cache'), '--no-audit', '--no-fund', '--foreground-scripts', tarball];
  const result = spawnSync('npm', args, { env: { ...process.env, PATH: `${toolsBinDir()}:${process.env.PATH}` }, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`npm install failed: ${result.stderr}`);
  install = result;
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm install -g of the packed package', () => {
  it('needs nothing but the tarball: offline, an empty cache, no dependencies, no install scripts', () => {
    const installed = join(prefix, 'lib', 'node_modules', pkg.name);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: object; scripts?: Record<string, string> };
    expect(manifest.dependencies).toBeUndefined();
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts?.[script]).toBeUndefined();
    expect(readdirSync(installed).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/> .*(preinstall|install|postinstall)/);
  });

  it('puts the three plugins and their completion helpers on PATH; kubectl runs them', () => {
    expect(readdirSync(join(prefix, 'bin')).sort()).toEqual(
      ['kubectl-build', 'kubectl-buildkit', 'kubectl-trust', 'kubectl_complete-build', 'kubectl_complete-buildkit', 'kubectl_complete-trust'].sort(),
    );
    const list = kubectl(['plugin', 'list', '--name-only']).stdout;
    for (const name of ['kubectl-build', 'kubectl-buildkit', 'kubectl-trust']) expect(list).toContain(name);
    const help = kubectl(['build', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^kubectl build \[options\] PATH \| -\n/);
    expect(kubectl(['trust', 'verify', '--help']).stdout).toMatch(/^kubectl trust verify \[image\]\n/);
    expect(kubectl(['__complete', 'build', '--pla']).stdout.trim().split('\n')).toEqual(['--platform', ':0']);
    // A command that loads the program, not only the entry's fast path.
    const verify = kubectl(['trust', 'verify', '--key', '/nonexistent.pub', 'registry.example/app:1']);
    expect({ status: verify.status, stderr: verify.stderr }).toEqual({
      status: 2,
      stderr: 'error: cannot read the public key /nonexistent.pub\nhint: check the path of the key (cosign generate-key-pair writes cosign.pub)\n',
    });
  });

  it('started by a Node older than 24: one sentence naming the Node it needs, exit 1', () => {
    // Node 18, what Debian 12 users have: a pinned test peer, so this runs on every machine.
    const oldNode = tool('node-old');
    if (!existsSync(oldNode)) throw new Error(`${oldNode} is missing: run "hack/tools.sh install"`);
    const oldNodeDir = join(scratch, 'old-node-bin');
    mkdirSync(oldNodeDir, { recursive: true });
    symlinkSync(oldNode, join(oldNodeDir, 'node'));
    const version = execFileSync(oldNode, ['--version'], { encoding: 'utf8' }).trim().slice(1);
    const result = kubectl(['build', '--help'], `${join(prefix, 'bin')}:${oldNodeDir}:${PATH}`);
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 1,
      stdout: '',
      stderr:
        `error: kubectl-build needs Node.js 24 or newer, and this is Node.js ${version}.\n` +
        'hint: put Node.js 24 LTS first on PATH, or use the single executable from the release, which brings its own.\n',
    });
  });
});
