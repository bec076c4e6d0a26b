// kubectl build against a real buildkitd and a real registry with auth: what a user sees.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { runCli } from './harness/cli.ts';
import { imageBytes } from './harness/images.ts';
import { scratchDir, useBuildkitd, useRegistry, type TestRegistry } from './harness/index.ts';
import { manifestState } from './harness/registry-state.ts';
import { meterSocket } from './harness/socket-meter.ts';
import { useStepSignals } from './harness/step-signals.ts';

const registry = useRegistry({ kind: 'distribution', auth: true, seed: true });
const buildkitd = useBuildkitd({ trust: [registry] });
// The local buildkitd's RUN steps share this machine's network.
const signals = useStepSignals(() => '127.0.0.1');

function env(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir, ...overrides };
}

function context(files: Record<string, string>): string {
  const dir = scratchDir('context');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function build(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; interruptWhen?: Promise<unknown> } = {}) {
  return runCli('kubectl-build', ['--progress=plain', ...args], { env: env(options.env), input: options.input, interruptWhen: options.interruptWhen });
}

async function manifestDigest(target: TestRegistry, reference: string): Promise<string> {
  const out = await skopeo(['inspect', '--format', '{{.Digest}}', ...skopeoRegistryFlags(target, target.files, ''), `docker://${reference}`]);
  return out.trim();
}

describe('kubectl build --push', () => {
  it('builds a multi-stage Dockerfile from the seeded base image and pushes it with registry auth', async () => {
    const dir = context({
      Dockerfile: `FROM ${registry().baseImage} AS compile\nRUN echo compiled > /artifact\nFROM ${registry().baseImage}\nCOPY --from=compile /artifact /app/artifact\nCOPY greeting.txt /app/\n`,
      'greeting.txt': 'hello\n',
    });
    const tag = `${registry().host}/build/multistage:1`;
    const metadataFile = join(dir, 'metadata.json');
    const iidFile = join(dir, 'iid');
    const result = await build(['-t', tag, '--push', '--debug', '--metadata-file', metadataFile, '--iidfile', iidFile, dir]);
    expect(result.stderr).toContain('[stage-1 2/3] COPY --from=compile /artifact /app/artifact');
    expect(result.status).toBe(0);
    // The registry password went to the daemon through the session, and nowhere else.
    expect(`${result.stdout}${result.stderr}`).not.toContain(registry().auth?.password);

    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8'));
    const pushed = await manifestDigest(registry(), tag);
    expect(metadata['containerimage.digest']).toBe(pushed);
    expect(metadata['image.name']).toBe(tag);
    expect(metadata['containerimage.descriptor']).toMatchObject({ digest: pushed, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    expect(readFileSync(iidFile, 'utf8')).toBe(metadata['containerimage.config.digest']);
    expect(result.stderr).toContain(`pushed ${tag} as ${pushed}`);
    const bytes = await imageBytes(registry(), tag);
    expect(bytes).toContain('compiled');
    expect(bytes).toContain('hello');
  });

  it('pushes the image under every -t, in two repositories', async () => {
    const dir = context({ Dockerfile: 'FROM scratch\nCOPY Dockerfile /\n' });
    const tags = [`${registry().host}/build/tags-a:1`, `${registry().host}/build/tags-a:2`, `${registry().host}/build/tags-b:1`];
    const metadataFile = join(dir, 'metadata.json');
    const result = await build([...tags.flatMap((tag) => ['-t', tag]), '--push', '--metadata-file', metadataFile, dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const digest = JSON.parse(readFileSync(metadataFile, 'utf8'))['containerimage.digest'];
    for (const tag of tags) expect(await manifestDigest(registry(), tag), tag).toBe(digest);
  });

  it('sends only what .dockerignore lets through, exceptions included', async () => {
    const dir = context({
      Dockerfile: `FROM ${registry().baseImage}\nCOPY . /ctx\nRUN test ! -e /ctx/secret.bin && test ! -e /ctx/logs/debug.log && test -e /ctx/logs/keep.log && test -e /ctx/src/main.sh\n`,
      '.dockerignore': 'secret.bin\nlogs\n!logs/keep.log\n',
      'logs/keep.log': 'keep',
      'src/main.sh': 'echo main',
    });
    // The ignored files are big and random: counted on the wire, they were never sent.
    const ignored = 256 * 1024;
    writeFileSync(join(dir, 'secret.bin'), randomBytes(ignored));
    writeFileSync(join(dir, 'logs', 'debug.log'), randomBytes(ignored));
    const meter = await meterSocket(buildkitd().address);
    const result = await build(['--debug', dir], { env: { BUILDKIT_HOST: meter.address } });
    expect(result.stderr).toMatch(/nothing was exported/);
    expect(result.status).toBe(0);
    expect(meter.sent()).toBeLessThan(ignored);
  });

  it('passes build args and stops at --target', async () => {
    const dir = context({
      Dockerfile: `FROM ${registry().baseImage} AS base\nARG FLAVOUR\nRUN test "$FLAVOUR" = vanilla\nFROM base AS broken\nRUN exit 7\n`,
    });
    const result = await build(['--build-arg', 'FLAVOUR=vanilla', '--target', 'base', dir]);
    expect(result.stderr).not.toContain('exit 7');
    expect(result.status).toBe(0);
  });

  it('adds hosts with --add-host and cuts the network with --network none', async () => {
    const dir = context({
      Dockerfile: `FROM ${registry().baseImage}\nRUN grep -q '10.1.2.3.*db.internal' /etc/hosts && grep -q '10.4.5.6.*cache.internal' /etc/hosts && test "$(grep -c : /proc/net/dev)" = 1\n`,
    });
    // Both spellings docker accepts: host:ip and host=ip.
    const result = await build(['--no-cache', '--add-host', 'db.internal:10.1.2.3', '--add-host', 'cache.internal=10.4.5.6', '--network', 'none', dir]);
    expect(result.status).toBe(0);
  });

  it('reads the Dockerfile from outside the context with -f, and from stdin with -f -', async () => {
    const dir = context({ 'data.txt': 'x' });
    const elsewhere = context({ 'Build.dockerfile': `FROM ${registry().baseImage}\nCOPY data.txt /\n` });
    expect((await build(['-f', join(elsewhere, 'Build.dockerfile'), dir])).status).toBe(0);
    expect((await build(['-f', '-', dir], { input: `FROM ${registry().baseImage}\nCOPY data.txt /\n` })).status).toBe(0);
  });

  it('builds from a Dockerfile on stdin with no context for PATH -', async () => {
    const tag = `${registry().host}/build/stdin:1`;
    const result = await build(['-t', tag, '--push', '-'], { input: `FROM ${registry().baseImage}\nRUN echo from-stdin > /s\n` });
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    expect(await imageBytes(registry(), tag)).toContain('from-stdin\n');
    // With no context, there is nothing to COPY from.
    const copy = await build(['-'], { input: `FROM ${registry().baseImage}\nCOPY Dockerfile /\n` });
    expect(copy.status).toBe(1);
  });

  it('mounts secrets for one RUN, from a variable and from a file, without leaving them in the image or in any output', async () => {
    const secret = 's3cr3t-value-1f9d';
    const fileSecret = 'f1le-s3cr3t-77ab';
    const secretFile = join(scratchDir('secret'), 'token.txt');
    writeFileSync(secretFile, fileSecret);
    // The values are compared in pieces, so that the Dockerfile itself never holds them whole.
    const dir = context({
      Dockerfile: `FROM ${registry().baseImage}\nRUN --mount=type=secret,id=token --mount=type=secret,id=file `
        + `test "$(cat /run/secrets/token)" = "${secret.slice(0, 6)}$(echo ${secret.slice(6)})" && `
        + `test "$(cat /run/secrets/file)" = "${fileSecret.slice(0, 6)}$(echo ${fileSecret.slice(6)})" && echo used > /proof\n`,
    });
    const tag = `${registry().host}/build/secret:1`;
    const result = await build(['--secret', 'id=token,env=BUILD_TOKEN', '--secret', `id=file,src=${secretFile}`, '-t', tag, '--push', '--debug', dir], { env: { BUILD_TOKEN: secret } });
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    for (const value of [secret, fileSecret]) expect(`${result.stdout}${result.stderr}`).not.toContain(value);
    const bytes = await imageBytes(registry(), tag);
    expect(bytes).toContain('used');
    for (const value of [secret, fileSecret]) expect(bytes).not.toContain(value);
  });

  it('uploads an unchanged context again without file contents, and a changed file alone', async () => {
    // 20 files of random bytes (nothing compresses them), and the bytes the CLI sends counted on the
    // wire between it and buildkitd: the first build sends them all, a rebuild less than one file,
    // and a rebuild after one file changed that file and less than another.
    const size = 128 * 1024;
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nCOPY . /ctx\n` });
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `file-${i}.bin`), randomBytes(size));
    const meter = await meterSocket(buildkitd().address);
    // The CLI's own count, beside the wire's: the frontend re-reads the Dockerfile in full on every build, by design.
    const filesSent = (stderr: string) => Number(/context upload: \d+ entries listed, (\d+) files sent/.exec(stderr)?.[1]);
    const upload = async () => {
      meter.reset();
      const result = await build(['--debug', dir], { env: { BUILDKIT_HOST: meter.address } });
      expect(result.status, result.stderr.slice(-800)).toBe(0);
      return { bytes: meter.sent(), files: filesSent(result.stderr) };
    };
    const first = await upload();
    expect(first.bytes).toBeGreaterThan(20 * size);
    expect(first.files).toBeGreaterThanOrEqual(20);
    const again = await upload();
    expect(again.bytes).toBeLessThan(size);
    expect(again.files).toBe(0);
    writeFileSync(join(dir, 'file-3.bin'), randomBytes(size));
    const changed = await upload();
    expect(changed.bytes).toBeGreaterThan(size);
    expect(changed.bytes).toBeLessThan(2 * size);
    expect(changed.files).toBe(1);
  });

  it('takes registry credentials from a credHelpers entry and from a credsStore, through docker-credential-* programs', async () => {
    const auth = registry().auth as { username: string; password: string };
    const bin = scratchDir('helpers');
    const asked = join(bin, 'asked');
    writeFileSync(join(bin, 'docker-credential-kbtest'), `#!/bin/sh\nserver=$(cat)\necho "$1 $server" >> ${asked}\n`
      + `printf '{"ServerURL":"%s","Username":"${auth.username}","Secret":"${auth.password}"}' "$server"\n`);
    chmodSync(join(bin, 'docker-credential-kbtest'), 0o755);
    const dir = context({ Dockerfile: 'FROM scratch\nCOPY Dockerfile /\n' });
    for (const [n, config] of [{ credHelpers: { [registry().host]: 'kbtest' } }, { credsStore: 'kbtest' }].entries()) {
      const dockerConfig = scratchDir('docker-config');
      writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify(config));
      const tag = `${registry().host}/build/helped:${n}`;
      const result = await build(['-t', tag, '--push', dir], { env: { DOCKER_CONFIG: dockerConfig, PATH: `${bin}:${process.env.PATH}` } });
      expect(result.status, result.stderr.slice(-800)).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toContain(auth.password);
      expect(await manifestState(registry(), tag)).toBe('present');
    }
    expect(readFileSync(asked, 'utf8')).toMatch(new RegExp(`^get ${registry().host}$`, 'm'));
  });

  it('labels the image with --label, and takes --build-arg K alone from the environment', async () => {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nARG FLAVOUR\nRUN echo "flavour $FLAVOUR" > /flavour\n` });
    const tag = `${registry().host}/build/labelled:1`;
    const result = await build(['--label', 'org.example.team=builders', '--build-arg', 'FLAVOUR', '-t', tag, '--push', dir], { env: { FLAVOUR: 'pistachio' } });
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const config = JSON.parse(await skopeo(['inspect', '--config', ...skopeoRegistryFlags(registry(), registry().files, ''), `docker://${tag}`]));
    expect(config.config.Labels).toMatchObject({ 'org.example.team': 'builders' });
    expect(await imageBytes(registry(), tag)).toContain('flavour pistachio\n');
  });

  it('prints only the image ID with --progress quiet, and JSON lines with rawjson', async () => {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo quiet > /q\n` });
    const tag = `${registry().host}/build/quiet:1`;
    const quiet = await runCli('kubectl-build', ['--progress', 'quiet', '-t', tag, '--push', dir], { env: env() });
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(quiet.stderr).toBe('');
    // The image ID is the config's digest, as the registry holds it.
    const manifest = JSON.parse(await skopeo(['inspect', '--raw', ...skopeoRegistryFlags(registry(), registry().files, ''), `docker://${tag}`]));
    expect(quiet.stdout).toBe(`${manifest.config.digest}\n`);
    const raw = await runCli('kubectl-build', ['--progress', 'rawjson', dir], { env: env() });
    const lines = raw.stderr.trim().split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.parse(lines[0] as string)).toHaveProperty('vertexes');
  });
});

describe('kubectl build --builder-addr tcp:// with mutual TLS', () => {
  const remote = useBuildkitd({ trust: [registry], tcpTls: true });

  it('builds over TCP with the client certificate, CA and key given by --tls-*', async () => {
    const tcp = remote().tcp;
    if (!tcp) throw new Error('buildkitd was started without TCP');
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo over-tcp\n` });
    const result = await build(['--builder-addr', tcp.address, '--tls-ca', tcp.ca, '--tls-cert', tcp.cert, '--tls-key', tcp.key, dir]);
    expect(result.stderr).toContain('RUN echo over-tcp');
    expect(result.status).toBe(0);
  });

  it('fails clearly when the daemon refuses a client without a certificate', async () => {
    const tcp = remote().tcp;
    if (!tcp) throw new Error('buildkitd was started without TCP');
    const dir = context({ Dockerfile: 'FROM scratch\n' });
    const result = await build(['--builder-addr', tcp.address, '--tls-ca', tcp.ca, dir]);
    expect(result.status).toBe(1);
    // At once, not after the connect timeout: the daemon closes the connection of a client without a certificate.
    expect(result.stderr).toMatch(/^error: cannot reach the BuildKit daemon at tcp:\/\/127\.0\.0\.1:\d+: it accepts connections but closes them before gRPC is set up \(a TLS mismatch/);
  });
});

describe('kubectl build on a terminal', () => {
  it('draws the live view on stderr: steps with times, running logs, and the finished build', async () => {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.3; done\n` });
    const screen = join(scratchDir('tty'), 'screen');
    const stdout = join(scratchDir('tty'), 'stdout');
    const command = `stty cols 120 rows 40; ${process.execPath} dist/kubectl-build.js --no-cache ${dir} > ${stdout}`;
    // script(1) gives the command a terminal, as a user has one.
    execFileSync('script', ['-qec', command, screen], { env: { ...process.env, ...env() }, stdio: 'ignore', timeout: 120_000 });
    const text = stripVTControlCharacters(readFileSync(screen, 'utf8'));
    expect(text).toMatch(/=> => # tick 3/);
    expect(text).toMatch(/=> \[2\/2\] RUN for i in[^\n]* \d+\.\ds/);
    expect(text).toMatch(/✔ Building \d+\.\ds \(\d+\/\d+\)/);
    expect(readFileSync(stdout, 'utf8')).toBe('');
  });
});

describe('kubectl build --progress auto (the default) without a terminal', () => {
  it('writes plain text: numbered steps and their logs, no escape sequences', async () => {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo piped-step-log\n` });
    // No --progress: the harness runs the CLI with pipes, as CI and `| tee` do.
    const result = await runCli('kubectl-build', ['--no-cache', dir], { env: env() });
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    expect(result.stderr).toMatch(/^#\d+ \[2\/2\] RUN echo piped-step-log$/m);
    expect(result.stderr).toMatch(/^#\d+ \d+\.\d+ piped-step-log$/m);
    expect(result.stderr).not.toContain('\u001b');
  });
});

describe('kubectl build on a terminal, when the daemon is unreachable', () => {
  it('ends with the error instead of leaving the live view running', () => {
    const dir = context({ Dockerfile: 'FROM scratch\n' });
    const screen = join(scratchDir('tty'), 'screen');
    const command = `stty cols 120 rows 40; ${process.execPath} dist/kubectl-build.js --builder-addr unix://${join(dir, 'none.sock')} ${dir}; echo "exit=$?"`;
    // Were the view left running, script(1) would be killed at the timeout and never print exit=.
    execFileSync('script', ['-qec', command, screen], { stdio: 'ignore', timeout: 60_000 });
    const text = stripVTControlCharacters(readFileSync(screen, 'utf8'));
    expect(text).toMatch(/error: cannot reach the BuildKit daemon at unix:\/\/\S+none\.sock: the socket does not exist/);
    expect(text).toContain('exit=1');
  });
});

describe('kubectl build -o - on a terminal', () => {
  it('refuses to write the tarball to the terminal, before anything connects: one sentence, exit 2', () => {
    const dir = context({ Dockerfile: 'FROM scratch\n' });
    const screen = join(scratchDir('tty'), 'screen');
    // No daemon at that address: had the CLI connected first, it would say it cannot reach it.
    const command = `stty cols 120 rows 40; ${process.execPath} dist/kubectl-build.js -o - --builder-addr unix://${join(dir, 'none.sock')} ${dir}; echo "exit=$?"`;
    execFileSync('script', ['-qec', command, screen], { stdio: 'ignore', timeout: 60_000 });
    const text = stripVTControlCharacters(readFileSync(screen, 'utf8'));
    expect(text).toMatch(/error: .*it would write a tarball to the terminal/);
    expect(text).not.toMatch(/cannot reach the BuildKit daemon|at Object\.|\n\s+at /);
    expect(text).toContain('exit=2');
  });
});

describe('kubectl build --output', () => {
  it('writes the result to a folder (type=local), a tar file, an OCI archive, a docker load archive and a tar on stdout', async () => {
    const dir = context({ Dockerfile: `FROM scratch\nCOPY app.sh /bin/app\nCOPY --chmod=0755 app.sh /bin/app-exec\n`, 'app.sh': 'echo app\n' });
    const out = scratchDir('outputs');
    const result = await build([
      '-o', `type=local,dest=${join(out, 'rootfs')}`,
      '-o', `type=tar,dest=${join(out, 'rootfs.tar')}`,
      '-t', 'example/app:1', '-o', `type=oci,dest=${join(out, 'oci.tar')}`,
      '-o', `type=docker,dest=${join(out, 'docker.tar')}`,
      dir,
    ]);
    expect(result.status).toBe(0);
    expect(readFileSync(join(out, 'rootfs', 'bin', 'app'), 'utf8')).toBe('echo app\n');
    const { statSync } = await import('node:fs');
    expect(statSync(join(out, 'rootfs', 'bin', 'app-exec')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(out, 'rootfs.tar')).includes('echo app')).toBe(true);
    const ociIndex = await skopeo(['inspect', '--raw', `oci-archive:${join(out, 'oci.tar')}`]);
    expect(JSON.parse(ociIndex).mediaType).toMatch(/manifest/);
    // type=docker: what docker load reads, the image named by -t.
    const dockerManifest = JSON.parse(execFileSync('tar', ['-xOf', join(out, 'docker.tar'), 'manifest.json'], { encoding: 'utf8' }));
    expect(dockerManifest[0].RepoTags).toEqual(['example/app:1']);
    expect(result.stderr).toMatch(/wrote the local output to .*rootfs; wrote the tar output to .*rootfs\.tar; wrote the oci output to .*oci\.tar; wrote the docker output to .*docker\.tar in /);

    const piped = await runCli('kubectl-build', ['--progress', 'quiet', '-o', 'type=tar,dest=-', dir], { env: env() });
    expect(piped.status).toBe(0);
    expect(piped.stdout).toContain('echo app');
  });
});

describe('kubectl build --cache-to / --cache-from / --no-cache', () => {
  const cold = useBuildkitd({ trust: [registry] });

  it('exports the cache to the registry, and a builder without local cache reuses every step', async () => {
    // The RUN step writes a fresh random id: the image the cold builder makes holds the first build's
    // id only if the step came from the exported cache instead of running again.
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo "ran $(cat /proc/sys/kernel/random/uuid)" > /result\nCOPY note.txt /\n`, 'note.txt': 'n' });
    const cacheRef = `${registry().host}/build/cache:buildcache`;
    const tags = [1, 2].map((n) => `${registry().host}/build/cached:${n}`);
    const first = await build(['--cache-to', `type=registry,ref=${cacheRef},mode=max`, '-t', tags[0] as string, '--push', dir]);
    expect(first.status).toBe(0);
    const second = await build(['--cache-from', `type=registry,ref=${cacheRef}`, '-t', tags[1] as string, '--push', dir], { env: { BUILDKIT_HOST: cold().address } });
    expect(second.status).toBe(0);
    expect(second.stderr).toMatch(/#\d+ \[2\/3\] RUN echo "ran[^\n]*\n(?:#\d+ [^\n]*\n)*?#\d+ CACHED/);
    const ran = await Promise.all(tags.map(async (tag) => /ran ([0-9a-f-]{36})\n/.exec(await imageBytes(registry(), tag))?.[1]));
    expect(ran[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ran[1]).toBe(ran[0]);
  });

  it('reuses a RUN step by default, runs it again with --no-cache, and a cold builder reuses it from an inline cache', async () => {
    // The step writes a fresh random id: the same id in two images means the step ran once.
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo "ran $(cat /proc/sys/kernel/random/uuid)" inline > /result\n` });
    const tag = (name: string) => `${registry().host}/build/no-cache:${name}`;
    const ranIn = async (name: string) => /ran ([0-9a-f-]{36}) inline\n/.exec(await imageBytes(registry(), tag(name)))?.[1];
    const push = async (name: string, args: string[] = [], daemon = buildkitd().address) => {
      const result = await build([...args, '-t', tag(name), '--push', dir], { env: { BUILDKIT_HOST: daemon } });
      expect(result.status, result.stderr.slice(-800)).toBe(0);
      return ranIn(name);
    };
    const first = await push('first', ['--cache-to', 'type=inline']);
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(await push('again')).toBe(first);
    expect(await push('uncached', ['--no-cache'])).not.toBe(first);
    expect(await push('cold', ['--cache-from', `type=registry,ref=${tag('first')}`], cold().address)).toBe(first);
  });
});

describe('kubectl build --allow, on a daemon that grants network.host and security.insecure', () => {
  const granting = useBuildkitd({ trust: [registry], entitlements: ['network.host', 'security.insecure'] });
  // CAP_SYS_ADMIN (bit 21 of CapEff): a RUN --security=insecure step has it, a sandboxed one not.
  const sysAdmin = (bytes: string, step: string) => {
    const caps = new RegExp(`${step} CapEff:\\s*([0-9a-f]+)`).exec(bytes)?.[1];
    expect(caps, `the ${step} step's capabilities in the image`).toBeDefined();
    return (BigInt(`0x${caps}`) >> 21n) & 1n;
  };

  it('runs a step with every capability only with --allow security.insecure, and host networking only with --allow network.host', async () => {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN --security=insecure echo "insecure $(grep CapEff /proc/self/status)" > /insecure\nRUN echo "sandboxed $(grep CapEff /proc/self/status)" > /sandboxed\n` });
    const daemon = { BUILDKIT_HOST: granting().address };
    const refused = await build(['--no-cache', dir], { env: daemon });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/security\.insecure is not allowed/);
    const tag = `${registry().host}/build/insecure:1`;
    const allowed = await build(['--no-cache', '--allow', 'security.insecure', '-t', tag, '--push', dir], { env: daemon });
    expect(allowed.status, allowed.stderr.slice(-800)).toBe(0);
    const bytes = await imageBytes(registry(), tag);
    expect(sysAdmin(bytes, 'insecure')).toBe(1n);
    expect(sysAdmin(bytes, 'sandboxed')).toBe(0n);

    const network = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo host-network > /n\n` });
    const noAllow = await build(['--no-cache', '--network', 'host', network], { env: daemon });
    expect(noAllow.status).toBe(1);
    expect(noAllow.stderr).toMatch(/network\.host is not allowed/);
    expect((await build(['--no-cache', '--network', 'host', '--allow', 'network.host', network], { env: daemon })).status).toBe(0);
  });
});

describe('kubectl build --ssh', () => {
  // The busybox base has no ssh client: the host's ssh-add and the libraries it links go in.
  function sshAddContext(): string {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nCOPY rootfs/ /\nRUN --mount=type=ssh ssh-add -l\n` });
    const libraries = execFileSync('ldd', ['/usr/bin/ssh-add'], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const path of ['/usr/bin/ssh-add', ...libraries]) {
      mkdirSync(join(dir, 'rootfs', dirname(path)), { recursive: true });
      copyFileSync(path, join(dir, 'rootfs', path));
    }
    chmodSync(join(dir, 'rootfs/usr/bin/ssh-add'), 0o755);
    return dir;
  }

  function keyPair(): string {
    const key = join(scratchDir('ssh-key'), 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kubectl-build-test-key', '-f', key]);
    return key;
  }

  it('serves private key files through an agent of its own, and the build sees the key', async () => {
    const result = await build(['--no-cache', '--ssh', `default=${keyPair()}`, sshAddContext()]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/256 SHA256:\S+ kubectl-build-test-key \(ED25519\)/);
  });

  it('forwards the ssh-agent at SSH_AUTH_SOCK for --ssh default', async () => {
    const socket = join(scratchDir('agent'), 'agent.sock');
    const started = execFileSync('ssh-agent', ['-a', socket], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
    try {
      execFileSync('ssh-add', ['-q', keyPair()], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
      const result = await build(['--no-cache', '--ssh', 'default', sshAddContext()], { env: { SSH_AUTH_SOCK: socket } });
      expect(result.status).toBe(0);
      expect(result.stderr).toContain('kubectl-build-test-key (ED25519)');
    } finally {
      process.kill(pid);
    }
  });

  it('says how to fix --ssh default without an agent', async () => {
    const result = await build(['--ssh', 'default', sshAddContext()], { env: { SSH_AUTH_SOCK: '' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: --ssh default needs an ssh-agent, and SSH_AUTH_SOCK is not set\n/);
  });
});

describe('kubectl buildkit version', () => {
  it("prints the daemon's version and its workers' platforms", async () => {
    const result = await runCli('kubectl-buildkit', ['version'], { env: env() });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^github\.com\/moby\/buildkit v0\.34\.2\n/);
    expect(result.stdout).toMatch(/^worker \S+: linux\/amd64/m);
  });
});

describe('kubectl build errors', () => {
  it('a missing Dockerfile or context: one sentence, exit 1, no stack', async () => {
    const dir = context({ 'a.txt': '' });
    const noDockerfile = await build([dir]);
    expect(noDockerfile.status).toBe(1);
    expect(noDockerfile.stderr).toBe(`error: no Dockerfile at ${join(dir, 'Dockerfile')}\nhint: add a Dockerfile to the context, or name one with -f\n`);
    const noContext = await build([join(dir, 'missing')]);
    expect(noContext.status).toBe(1);
    expect(noContext.stderr).toMatch(/^error: the build context .*missing is not a directory\n/);
  });

  it('a Dockerfile syntax error names the file and the line', async () => {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nFORM oops\n` });
    const result = await build([dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`error: ${join(dir, 'Dockerfile')}: .*line 2.*unknown instruction: FORM`, 'i'));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a failing RUN gives its exit code and the tail of its log', async () => {
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo first-line && echo "the last words" >&2 && exit 3\n` });
    const result = await build([dir]);
    expect(result.status).toBe(1);
    const message = result.stderr.slice(result.stderr.lastIndexOf('error: '));
    expect(message).toMatch(/exit code: 3/);
    expect(message).toContain('the last words');
    expect(message).toMatch(/hint: the step ".*RUN echo first-line.*" failed/);
  });

  it('a missing daemon socket is reported at once, naming the address', async () => {
    const dir = context({ Dockerfile: 'FROM scratch\n' });
    const result = await build([dir], { env: { BUILDKIT_HOST: `unix://${join(dir, 'no-daemon.sock')}` } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot reach the BuildKit daemon at unix:\/\/.*no-daemon\.sock: the socket does not exist\nhint: start buildkitd there/);
    // A timed assertion on purpose: the claim itself is about time (a refused address fails at once,
    // as buildctl does, instead of waiting out --connect-timeout). See docs/faults.md.
    expect(result.durationMs).toBeLessThan(1_000);
  });

  it('a push the registry refuses says so, and leaves no image under the tag', async () => {
    const badConfig = scratchDir('docker-config');
    writeFileSync(join(badConfig, 'config.json'), JSON.stringify({ auths: { [registry().host]: { auth: Buffer.from('tester:wrong').toString('base64') } } }));
    const dir = context({ Dockerfile: `FROM scratch\nCOPY Dockerfile /\n` });
    const tag = `${registry().host}/build/refused:1`;
    const result = await build(['-t', tag, '--push', dir], { env: { DOCKER_CONFIG: badConfig } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error: the registry \S+ refused the push: /);
    expect(result.stderr).toMatch(/hint: check the credentials/);
    expect(await manifestState(registry(), tag)).toBe('absent');
  });

  it('Ctrl-C cancels the build: exit 130, the running step killed, nothing pushed', async () => {
    // The step waits on the test's server, which never answers: Ctrl-C comes once it is inside, and
    // the server sees its connection drop when the step is killed ("finished" never runs).
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN wget -qO- ${signals().url}/hold/ctrl-c && echo finished > /finished\n` });
    const tag = `${registry().host}/build/cancelled:1`;
    const result = await build(['-t', tag, '--push', dir], { interruptWhen: signals().holdOpened('ctrl-c') });
    expect(result.status).toBe(130);
    expect(result.stderr).toMatch(/error: build cancelled/);
    expect(await signals().holdOutcome('ctrl-c')).toBe('dropped');
    expect(await manifestState(registry(), tag)).toBe('absent');
  });
});
