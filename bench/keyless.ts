// What keyless signing adds after the build, when the login (here: the token) was there during the
// build: the time from the CLI's "pushed ... as sha256:..." line to its exit, for keyless signing
// (Fulcio's certificate asked for during the build; after it: sign, Rekor, push the signature)
// against key signing with and without the log, on local Sigstore services, the same registry and
// buildkitd, interleaved. Prints the medians. Needs root (buildkitd) and the pinned Sigstore tools.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBuildkitd } from '../hack/lib/buildkitd.ts';
import { writeClientFiles } from '../hack/lib/client-files.ts';
import { tool } from '../hack/lib/paths.ts';
import { stopProcess, type ServiceProcess } from '../hack/lib/process.ts';
import { randomPassword, startRegistry } from '../hack/lib/registry.ts';
import { seedBaseImage } from '../hack/lib/seed.ts';
import { startSigstore } from '../hack/lib/sigstore.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'kb-bench-keyless-'));
const services: ServiceProcess[] = [];
try {
  const registry = await startRegistry({ kind: 'distribution', dir: join(work, 'registry'), auth: { username: 'bench', password: randomPassword() } });
  services.push(registry.process);
  const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd'), registries: [{ host: registry.host, plainHttp: true }] });
  services.push(buildkitd.process);
  const sigstore = await startSigstore(join(work, 'sigstore'), (service) => services.push(service));
  const files = writeClientFiles(work, [registry]);
  const base = await seedBaseImage(registry, files);
  const env = { ...process.env, DOCKER_CONFIG: files.dockerConfigDir, BUILDKIT_HOST: buildkitd.address, COSIGN_PASSWORD: 'bench', TUF_ROOT: join(work, 'tuf') };
  execFileSync(tool('cosign-v3'), ['generate-key-pair', '--output-key-prefix', join(work, 'cosign')], { env, stdio: 'ignore' });
  const services_ = ['--fulcio-url', sigstore.fulcioUrl, '--rekor-url', sigstore.rekorUrl, '--oidc-issuer', sigstore.issuerUrl];

  const lastSteps: Record<string, string[]> = {};
  /** One build, push and sign; milliseconds from the "pushed" line to the exit. */
  const afterBuild = async (name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<number> => {
    const context = join(work, `context-${name}`);
    execFileSync('mkdir', ['-p', context]);
    // A new layer each run, so that every run builds, pushes and signs a new digest.
    writeFileSync(join(context, 'Dockerfile'), `FROM ${base}\nRUN echo ${Math.random()} > /run-marker && sleep 1\n`);
    const child = spawn(process.execPath, [resolve('dist/kubectl-build.js'), '--progress', 'plain', '-t', `${registry.host}/bench/${name}:1`, '--push', '--sign', ...args, context], {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let pushedAt = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!pushedAt && /\npushed \S+ as sha256:/.test(stderr)) pushedAt = performance.now();
    });
    const status = await new Promise<number | null>((done) => child.on('close', done));
    const exitedAt = performance.now();
    if (status !== 0 || !pushedAt) throw new Error(`${name} failed: ${stderr.slice(-800)}`);
    lastSteps[name] = stderr.split('\n').filter((line) => line.startsWith('sign: '));
    return exitedAt - pushedAt;
  };

  const cases: Record<string, () => Promise<number>> = {
    'keyless, legacy': async () => afterBuild('keyless-legacy', services_, { SIGSTORE_ID_TOKEN: await sigstore.token() }),
    'keyless, bundle': async () => afterBuild('keyless-bundle', ['--signature-format', 'bundle', ...services_], { SIGSTORE_ID_TOKEN: await sigstore.token() }),
    'key + Rekor, legacy': () => afterBuild('key-rekor', ['--cosign-key', join(work, 'cosign.key'), '--rekor-url', sigstore.rekorUrl]),
    'key, no log, legacy': () => afterBuild('key-only', ['--cosign-key', join(work, 'cosign.key'), '--tlog-upload=false']),
  };
  const samples: Record<string, number[]> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run] of Object.entries(cases)) (samples[name] ??= []).push(await run());
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  console.log(`time from "pushed" to exit (signing after the build; certificate fetched during it), ${RUNS} runs each, median`);
  for (const [name, xs] of Object.entries(samples)) console.log(`  ${name.padEnd(22)} ${median(xs).toFixed(0).padStart(6)} ms   (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`);
  const keyless = median(samples['keyless, legacy'] ?? []);
  const keyOnly = median(samples['key, no log, legacy'] ?? []);
  console.log('the last run\'s signing steps (their own times):');
  for (const [name, steps] of Object.entries(lastSteps)) console.log(`  ${name}\n${steps.map((step) => `    ${step.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…')}`).join('\n')}`);
  console.log(`keyless adds ${(keyless - keyOnly).toFixed(0)} ms over key signing without a log`);
} finally {
  for (const service of services.reverse()) await stopProcess(service);
  rmSync(work, { recursive: true, force: true });
}
