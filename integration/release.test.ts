// What make release ships (dist/release), checked the way users meet it: the archives and their
// sums, one executable serving every plugin name through kubectl's plugin lookup, the arm64 one
// (under QEMU), the install script, and the krew index: krew's own validator with its install test,
// and `kubectl krew index add` + `install` from the archives served on 127.0.0.1. And the bad
// input: a renamed executable, a missing or damaged file inside one, an archive for another
// architecture or one that does not match its sum: one sentence each, never a stack trace.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXECUTABLE, writeKrewIndex, type ReleasePlatform } from '../hack/lib/krew.ts';
import { tool, toolsBinDir } from '../hack/lib/paths.ts';
import { writeReleaseArchive } from '../hack/lib/release-archive.ts';
import { seaInputs, writeSeaBlob, writeSeaExecutable } from '../hack/lib/sea.ts';
import { scratchDir } from './harness/index.ts';
import { skipUnlessPossible } from './harness/skip.ts';

const RELEASE = resolve('dist/release');
const VERSION = `v${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}`;
const PLATFORMS = ['linux-amd64', 'linux-arm64'] as const;
const HOST = `linux-${process.arch === 'x64' ? 'amd64' : 'arm64'}`;
const OTHER = PLATFORMS.find((platform) => platform !== HOST) as string;
const archive = (platform: string) => join(RELEASE, `kubectl-build-${VERSION}-${platform}.tar.gz`);
const executable = (platform: string) => join(RELEASE, platform, EXECUTABLE);
const NAMES = ['kubectl-build', 'kubectl-buildkit', 'kubectl-trust', 'kubectl_complete-build', 'kubectl_complete-buildkit', 'kubectl_complete-trust'];
const STACK = /\n\s+at .+:\d+:\d+\)?\n/;

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, argv0?: string, cwd?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000, ...(argv0 ? { argv0 } : {}), ...(cwd ? { cwd } : {}) });
}

/** As run, without blocking this process: the krew tests download from a server running in it. */
async function runAsync(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((done) => child.on('close', done));
  return { status, stdout, stderr };
}

/** A folder of links to `target` under every plugin name: what install.sh and krew make. */
function linkedBin(target: string): string {
  const bin = scratchDir('bin');
  for (const name of NAMES) symlinkSync(target, join(bin, name));
  return bin;
}

/** The pinned Node of this machine's platform, as make release uses it (hack/tools.sh node-dist). */
function pinnedNode(): string {
  return join(execFileSync('hack/tools.sh', ['node-dist', HOST === 'linux-amd64' ? 'linux-x64' : 'linux-arm64'], { encoding: 'utf8' }).trim(), 'bin', 'node');
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function flipByte(bytes: Buffer, at: number): void {
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
}

const withPath = (bin: string) => ({ PATH: `${bin}:${toolsBinDir()}:${process.env.PATH}` });

beforeAll(() => {
  if (!existsSync(join(RELEASE, 'SHA256SUMS'))) throw new Error(`${RELEASE}/SHA256SUMS is missing: run "make release" first`);
});

describe('the release archives', () => {
  it.each(PLATFORMS)('%s: the executable and LICENSE, listed in SHA256SUMS, at most 50 MB', (platform) => {
    expect(execFileSync('tar', ['-tzf', archive(platform)], { encoding: 'utf8' }).trim().split('\n')).toEqual([EXECUTABLE, 'LICENSE']);
    expect(run('sha256sum', ['--check', '--strict', 'SHA256SUMS'], {}, undefined, RELEASE).status).toBe(0);
    expect(readFileSync(join(RELEASE, 'SHA256SUMS'), 'utf8')).toContain(`  kubectl-build-${VERSION}-${platform}.tar.gz\n`);
    expect(statSync(archive(platform)).size).toBeLessThanOrEqual(50_000_000);
    expect(readFileSync(join(RELEASE, platform, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
  });
});

describe('SHA256SUMS and reproducible archives', () => {
  it('lists exactly the archives, install.sh and the npm package, and each sum holds', () => {
    const names = readFileSync(join(RELEASE, 'SHA256SUMS'), 'utf8').trim().split('\n').map((line) => line.split(/\s+/)[1]);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
    expect(names.sort()).toEqual([...PLATFORMS.map((platform) => `kubectl-build-${VERSION}-${platform}.tar.gz`), 'install.sh', `${pkg.name}-${pkg.version}.tgz`].sort());
    expect(run('sha256sum', ['--check', '--strict', 'SHA256SUMS'], {}, undefined, RELEASE).status).toBe(0);
  });

  it('install.sh and the shipped krew manifests name this version, one release address, and the archives’ real sums', () => {
    const script = readFileSync(join(RELEASE, 'install.sh'), 'utf8');
    expect(script).toMatch(new RegExp(`^VERSION=${VERSION}$`, 'm'));
    const base = /^BASE_URL=(\S+\/)$/m.exec(script)?.[1];
    expect(base).toBe(process.env.KUBECTL_BUILD_RELEASE_URL ?? `https://github.com/kubectl-build/kubectl-build/releases/download/${VERSION}/`);
    for (const name of ['build', 'buildkit', 'trust']) {
      const manifest = parse(readFileSync(join(RELEASE, 'krew-index', 'plugins', `${name}.yaml`), 'utf8')) as { spec: { version: string; platforms: Array<{ uri: string; sha256: string }> } };
      expect(manifest.spec.version, name).toBe(VERSION);
      // The sums computed here from the archives, not copied from SHA256SUMS: a stale manifest fails.
      expect(manifest.spec.platforms.map((entry) => [entry.uri, entry.sha256]), name).toEqual(
        PLATFORMS.map((platform) => [`${base}kubectl-build-${VERSION}-${platform}.tar.gz`, sha256(archive(platform))]),
      );
    }
  });

  it.each(PLATFORMS)('%s: the archive is the same bytes when made again from the same files and date', async (platform) => {
    // The date make release gave its files (SOURCE_DATE_EPOCH, else the last commit), read back.
    const listing = execFileSync('tar', ['--full-time', '-tvzf', archive(platform)], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    const [, day, time] = /\s(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) kubectl-build\n/.exec(listing) ?? [];
    const date = String(Date.parse(`${day}T${time}Z`) / 1000);
    expect(date).toMatch(/^\d+$/);
    const dir = scratchDir('archive-again');
    for (const name of ['first', 'second']) await writeReleaseArchive(join(RELEASE, platform), join(dir, `${name}.tar.gz`), date);
    expect([sha256(join(dir, 'first.tar.gz')), sha256(join(dir, 'second.tar.gz'))]).toEqual([sha256(archive(platform)), sha256(archive(platform))]);
  });

  it('the executable is the same bytes when made again from the same dist/ and pinned Node', async () => {
    const work = scratchDir('sea-again');
    const node = pinnedNode();
    await writeSeaBlob(node, await seaInputs('dist'), join(work, 'sea.blob'));
    await writeSeaExecutable(node, join(work, 'sea.blob'), join(work, EXECUTABLE));
    expect(sha256(join(work, EXECUTABLE))).toBe(sha256(executable(HOST)));
  });
});

describe('one executable for every plugin name', () => {
  it('kubectl finds it as three plugins, and each answers --help under its own name', () => {
    const env = withPath(linkedBin(executable(HOST)));
    const plugins = run(tool('kubectl'), ['plugin', 'list', '--name-only'], env).stdout;
    for (const name of ['kubectl-build', 'kubectl-buildkit', 'kubectl-trust']) expect(plugins).toContain(name);
    expect(run(tool('kubectl'), ['build', '--help'], env).stdout).toMatch(/^kubectl build \[options\] PATH \| -\n/);
    expect(run(tool('kubectl'), ['buildkit', '--help'], env).stdout).toMatch(/^kubectl buildkit <command> \[options\]\n/);
    expect(run(tool('kubectl'), ['trust', 'verify', '--help'], env).stdout).toMatch(/^kubectl trust verify \[image\]\n/);
  });

  it("answers kubectl's completion of the plugins as kubectl_complete-<plugin>", () => {
    const env = withPath(linkedBin(executable(HOST)));
    const lines = (...words: string[]) => run(tool('kubectl'), ['__complete', ...words], env).stdout.trim().split('\n');
    expect(lines('build', '--pla')).toEqual(['--platform', ':0']);
    expect(lines('buildkit', 'cr')).toEqual(['create', ':0']);
  });

  it('under a name that is no plugin of ours: one sentence, exit 2', () => {
    const result = run(executable(HOST), ['--help'], {}, '/usr/local/bin/kubectl-builder');
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'error: this program is named "kubectl-builder", and it only runs as kubectl-build, kubectl-buildkit, kubectl-trust or their kubectl_complete- helpers\n' +
        'hint: give it (or a link to it) one of those names, e.g. ln -s kubectl-builder kubectl-build\n',
    });
  });

  // qemu-user runs arm64 programs here (hack/tools.sh registers it) with Debian's arm64 libraries.
  const qemu = existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64') && existsSync('/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1');
  it('the arm64 executable runs too (under QEMU): help, and a command that loads its modules', (context) => {
    skipUnlessPossible(
      context,
      HOST !== 'linux-amd64'
        ? `this machine is ${HOST}: the arm64 executable is the native one, run by the tests above`
        : qemu
          ? undefined
          : 'qemu-user for arm64 is not registered in binfmt_misc here (hack/tools.sh registers it where the kernel allows)',
    );
    const env = { QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' };
    expect(run(executable('linux-arm64'), ['--help'], env, 'kubectl-buildkit').stdout).toMatch(/^kubectl buildkit <command> \[options\]\n/);
    const verify = run(executable('linux-arm64'), ['verify', '--key', '/nonexistent.pub', 'registry.example/app:1'], env, 'kubectl-trust');
    expect({ status: verify.status, stderr: verify.stderr }).toEqual({
      status: 2,
      stderr: 'error: cannot read the public key /nonexistent.pub\nhint: check the path of the key (cosign generate-key-pair writes cosign.pub)\n',
    });
  });
});

describe('a damaged executable', () => {
  it('a file it carries is missing: one sentence, exit 1', async () => {
    const work = scratchDir('sea-missing');
    const inputs = await seaInputs('dist');
    const { 'main.js': _left, ...assets } = inputs.assets;
    const node = pinnedNode();
    await writeSeaBlob(node, { ...inputs, assets }, join(work, 'sea.blob'));
    await writeSeaExecutable(node, join(work, 'sea.blob'), join(work, EXECUTABLE));
    const result = run(join(work, EXECUTABLE), ['ls'], {}, 'kubectl-buildkit');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'error: this executable is damaged: main.js, which it carries inside, is missing\n' +
        `hint: download the release archive again, check it against SHA256SUMS, and replace ${join(work, EXECUTABLE)}\n`,
    );
  });

  it('a file it carries was altered: one sentence, exit 1', () => {
    const copy = join(scratchDir('sea-altered'), EXECUTABLE);
    const bytes = readFileSync(executable(HOST));
    const chunk = readdirSync('dist/chunks').find((file) => file.startsWith('build-command-') && file.endsWith('.js')) as string;
    const at = bytes.indexOf(readFileSync(join('dist/chunks', chunk)));
    expect(at).toBeGreaterThan(0);
    flipByte(bytes, at + 40);
    writeFileSync(copy, bytes, { mode: 0o755 });
    const result = run(copy, ['-t', 'app:1', '.'], { BUILDKIT_HOST: 'tcp://127.0.0.1:1' }, 'kubectl-build');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: this executable is damaged: chunks/${chunk.replace('.', '\\.')}, which it carries inside, does not match its recorded digest\\nhint: .+\\n$`));
  });
});

describe('install.sh', () => {
  const install = (args: string[]) => run('sh', [join(RELEASE, 'install.sh'), ...args]);

  it('installs the archive for this machine after checking its sum, and links every plugin name to it', () => {
    const prefix = scratchDir('prefix');
    const result = install(['--prefix', prefix, archive(HOST)]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`installed kubectl-build ${VERSION} into ${prefix}/bin (kubectl build, kubectl buildkit, kubectl trust)\n`);
    expect(readdirSync(join(prefix, 'bin')).sort()).toEqual([...NAMES].sort());
    expect(run(tool('kubectl'), ['buildkit', '--help'], withPath(join(prefix, 'bin'))).status).toBe(0);
  });

  it('without --prefix, for a user who may not write /usr/local/bin: into ~/.local/bin', (context) => {
    skipUnlessPossible(context, process.getuid?.() === 0 ? undefined : 'needs root to run install.sh as another, unprivileged user');
    // As nobody, with a home of its own holding the archive and SHA256SUMS: /usr/local/bin is root's.
    const home = scratchDir('home');
    const name = `kubectl-build-${VERSION}-${HOST}.tar.gz`;
    for (const file of [name, 'SHA256SUMS']) copyFileSync(join(RELEASE, file), join(home, file));
    execFileSync('chown', ['-R', '65534:65534', home]);
    const before = readdirSync('/usr/local/bin');
    const result = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'sh', join(RELEASE, 'install.sh'), join(home, name)], { HOME: home, PATH: '/usr/bin:/bin' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toContain(`installed kubectl-build ${VERSION} into ${home}/.local/bin `);
    expect(readdirSync(join(home, '.local', 'bin')).sort()).toEqual([...NAMES].sort());
    expect(readdirSync('/usr/local/bin')).toEqual(before);
  });

  it('an archive for another architecture: one sentence, nothing installed', () => {
    const prefix = scratchDir('prefix');
    const result = install(['--prefix', prefix, archive(OTHER)]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 1,
      stderr: `error: kubectl-build-${VERSION}-${OTHER}.tar.gz holds a ${OTHER.replace('-', '/')} executable, and this machine is ${HOST.replace('-', '/')}\nhint: use kubectl-build-${VERSION}-${HOST}.tar.gz\n`,
    });
    expect(existsSync(join(prefix, 'bin'))).toBe(false);
  });

  it('an archive whose name SHA256SUMS does not list: one sentence, nothing installed', () => {
    const dir = scratchDir('download');
    const name = `kubectl-build-${VERSION}-${HOST}-renamed.tar.gz`;
    copyFileSync(archive(HOST), join(dir, name));
    copyFileSync(join(RELEASE, 'SHA256SUMS'), join(dir, 'SHA256SUMS'));
    const result = install(['--prefix', join(dir, 'prefix'), join(dir, name)]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 1,
      stderr: `error: ${name} is not listed in ${join(dir, 'SHA256SUMS')}\nhint: use an archive of release ${VERSION}, with its own SHA256SUMS\n`,
    });
    expect(existsSync(join(dir, 'prefix'))).toBe(false);
  });

  it('an archive that does not match SHA256SUMS: one sentence, nothing installed', () => {
    const dir = scratchDir('download');
    const name = `kubectl-build-${VERSION}-${HOST}.tar.gz`;
    const bytes = readFileSync(archive(HOST));
    flipByte(bytes, bytes.length >> 1);
    writeFileSync(join(dir, name), bytes);
    copyFileSync(join(RELEASE, 'SHA256SUMS'), join(dir, 'SHA256SUMS'));
    const result = install(['--prefix', join(dir, 'prefix'), join(dir, name)]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 1,
      stderr: `error: ${name} does not match its sha256 in SHA256SUMS (damaged or altered)\nhint: download it again\n`,
    });
  });
});

/**
 * `folder` over HTTP on loopback, as the release page serves it, for the enclosing scope: its base
 * URL and every path asked for, in order.
 */
function useReleaseServer(folder: () => string): { baseUrl: () => string; requests: string[] } {
  let server: Server;
  let baseUrl = '';
  const requests: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      const root = folder();
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      requests.push(path);
      const file = join(root, path.replace(/^\/+/, ''));
      if (!file.startsWith(`${root}/`) || !existsSync(file) || !statSync(file).isFile()) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-length': statSync(file).size });
      createReadStream(file).pipe(response);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));
  return { baseUrl: () => baseUrl, requests };
}

describe('install.sh downloading from the release address', () => {
  // A copy of the release served on loopback, which a test may damage; install.sh as shipped, with
  // only its address moved there.
  let mirror = '';
  const served = useReleaseServer(() => mirror);
  beforeAll(() => {
    mirror = scratchDirForFile('mirror');
    for (const name of [`kubectl-build-${VERSION}-${HOST}.tar.gz`, 'SHA256SUMS']) copyFileSync(join(RELEASE, name), join(mirror, name));
  });
  afterAll(() => rmSync(mirror, { recursive: true, force: true }));
  const installer = () => {
    const file = join(scratchDir('installer'), 'install.sh');
    const shipped = readFileSync(join(RELEASE, 'install.sh'), 'utf8');
    expect(shipped).toMatch(/^BASE_URL=https:\/\/\S+\/$/m);
    writeFileSync(file, shipped.replace(/^BASE_URL=.*$/m, `BASE_URL=${served.baseUrl()}`));
    return file;
  };

  // runAsync: the server answering the downloads runs in this process.
  it('downloads the archive for this machine and SHA256SUMS, checks them, installs the executable as released', async () => {
    served.requests.length = 0;
    const prefix = scratchDir('prefix');
    const result = await runAsync('sh', [installer(), '--prefix', prefix]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(served.requests).toEqual([`/kubectl-build-${VERSION}-${HOST}.tar.gz`, '/SHA256SUMS']);
    expect(sha256(join(prefix, 'bin', EXECUTABLE))).toBe(sha256(executable(HOST)));
    expect(readdirSync(join(prefix, 'bin')).sort()).toEqual([...NAMES].sort());
  });

  it('a download that does not match SHA256SUMS: one sentence, nothing installed', async () => {
    const name = `kubectl-build-${VERSION}-${HOST}.tar.gz`;
    const bytes = readFileSync(join(mirror, name));
    flipByte(bytes, bytes.length - 100);
    writeFileSync(join(mirror, name), bytes);
    const prefix = join(scratchDir('prefix'), 'p');
    const result = await runAsync('sh', [installer(), '--prefix', prefix]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 1, stderr: `error: ${name} does not match its sha256 in SHA256SUMS (damaged or altered)\nhint: download it again\n` });
    expect(existsSync(prefix)).toBe(false);
  });
});

/** A folder for a describe block (scratchDir is per test); the block removes it. */
function scratchDirForFile(name: string): string {
  return mkdtempSync(join(tmpdir(), `kb-${name}-`));
}

describe('krew', () => {
  const served = useReleaseServer(() => RELEASE);

  /** The index make release writes, with the archives' URIs on the local server. */
  async function localIndex(): Promise<{ dir: string; manifests: string[] }> {
    const sums = new Map(readFileSync(join(RELEASE, 'SHA256SUMS'), 'utf8').trim().split('\n').map((line) => line.split(/\s+/).reverse() as [string, string]));
    const platforms: ReleasePlatform[] = PLATFORMS.map((platform) => {
      const name = `kubectl-build-${VERSION}-${platform}.tar.gz`;
      const [os, arch] = platform.split('-') as [string, string];
      return { os, arch, uri: `${served.baseUrl()}${name}`, sha256: sums.get(name) as string };
    });
    const dir = scratchDir('krew-index');
    return { dir, manifests: await writeKrewIndex(dir, VERSION, 'https://github.com/kubectl-build/kubectl-build', platforms) };
  }

  it('the published manifests pass validate-krew-manifest', () => {
    for (const name of ['build', 'buildkit', 'trust']) {
      const result = run(tool('validate-krew-manifest'), ['-manifest', join(RELEASE, 'krew-index', 'plugins', `${name}.yaml`), '-skip-install']);
      expect(result.status, result.stderr).toBe(0);
    }
  });

  it("pass krew's install test for every platform, from the archives on the release server", async () => {
    const { manifests } = await localIndex();
    for (const manifest of manifests) {
      const result = await runAsync(tool('validate-krew-manifest'), ['-manifest', manifest], withPath(toolsBinDir()));
      expect(result.status, result.stderr.slice(-2000)).toBe(0);
      expect(result.stderr).toContain(`all ${PLATFORMS.length} spec.platforms installed fine`);
    }
  });

  it('kubectl krew index add, then install kubectl-build/build, /buildkit and /trust: the plugins run through krew\'s links', async () => {
    const { dir } = await localIndex();
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', 'plugins');
    git('commit', '-qm', 'index');
    const krewRoot = scratchDir('krew-root');
    const env = { KREW_ROOT: krewRoot, ...withPath(join(krewRoot, 'bin')) };
    const krew = (...args: string[]) => runAsync(tool('kubectl'), ['krew', ...args], env);
    expect((await krew('index', 'add', 'kubectl-build', dir)).status).toBe(0);
    const installed = await krew('install', '--no-update-index', 'kubectl-build/build', 'kubectl-build/buildkit', 'kubectl-build/trust');
    expect(installed.status, installed.stderr).toBe(0);
    expect(run(tool('kubectl'), ['build', '--help'], env).stdout).toMatch(/^kubectl build \[options\] PATH \| -\n/);
    const usage = run(tool('kubectl'), ['buildkit', '--no-such-flag'], env);
    expect({ status: usage.status, stderr: usage.stderr }).toEqual({ status: 2, stderr: 'error: Not enough non-option arguments: got 0, need at least 1\nhint: run "kubectl buildkit --help" for usage\n' });
    expect(usage.stderr).not.toMatch(STACK);
  });
});
