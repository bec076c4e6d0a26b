// Verification: `kubectl trust verify` against `cosign verify` (v3 and v2), in one run on a local
// registry (oci, with auth) and local Sigstore services. (1) One image, whole-process wall time, runs
// interleaved (the order turns each run): signed with a key and logged in Rekor, then keyless. (2) A
// repository of 200 tags with 0-3 key signatures each (tag i by the first i % 4 of three keys):
// `kubectl trust verify --repository` (one process) against a shell loop of `cosign verify` per tag,
// and our peak RSS (GNU time) for 50, 100 and 200 tags. Every verdict is compared with cosign's.
// Prints medians and ratios; goals: single images <= 1.0, the repository at least 10x faster,
// memory flat in the number of tags. Ours is the shipped executable (make release) under the name
// kubectl-trust. Beside the key case run the floors a Node program cannot go under: Node doing
// nothing (`node -e 0`, the Node the executable is made from) and our executable doing nothing but
// answer --help (its fast path, before any command code loads).
// BENCH_RUNS (default 10), BENCH_REPO_RUNS (default 1); one warm-up of each case first.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { writeClientFiles } from '../hack/lib/client-files.ts';
import { tool } from '../hack/lib/paths.ts';
import { stopProcess, type ServiceProcess } from '../hack/lib/process.ts';
import { randomPassword, startRegistry } from '../hack/lib/registry.ts';
import { startSigstore } from '../hack/lib/sigstore.ts';
import { pushRandomImage } from '../integration/harness/random-image.ts';
import { dockerConfigCredentials } from '../pkg/registry/docker-config.ts';
import { RegistryClient } from '../pkg/registry/client.ts';
import { parseReference } from '../pkg/registry/reference.ts';
import { loadSigner, signPushed, type Signer } from '../pkg/sign/index.ts';
import { linkPlugins, measure, type Run } from './lib/process.ts';
import { benchRuns, interleaved, median, medianMs } from './lib/runs.ts';
import { printCommands, printComparison, type Row } from './lib/table.ts';

const RUNS = benchRuns(10);
const REPO_RUNS = Number(process.env.BENCH_REPO_RUNS ?? 1);
const REPO_SIZES = [50, 100, 200] as const;
const KEYS = ['key1', 'key2', 'key3'] as const;
const PASSWORD = 'bench';
const execFileAsync = promisify(execFile);


/** At most `limit` of `tasks` at once. */
async function pool(limit: number, tasks: Array<() => Promise<void>>): Promise<void> {
  const queue = [...tasks];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await task();
  }));
}

const work = mkdtempSync(join(tmpdir(), 'kb-bench-verify-'));
const services: ServiceProcess[] = [];
try {
  const registry = await startRegistry({ kind: 'oci', dir: join(work, 'registry'), auth: { username: 'bench', password: randomPassword() } });
  services.push(registry.process);
  const sigstore = await startSigstore(join(work, 'sigstore'), (service) => services.push(service));
  const files = writeClientFiles(work, [registry]);
  const testRegistry = { ...registry, files };
  const env = { ...process.env, DOCKER_CONFIG: files.dockerConfigDir, TUF_ROOT: join(work, 'tuf'), COSIGN_PASSWORD: PASSWORD };
  const cosign = (binary: 'cosign-v2' | 'cosign-v3', args: string[]) => execFileAsync(tool(binary), args, { env, cwd: work });
  await Promise.all(KEYS.map((name) => cosign('cosign-v3', ['generate-key-pair', '--output-key-prefix', join(work, name)])));
  const publicKey = (name: string) => join(work, `${name}.pub`);
  const root = sigstore.trustedRootPath;
  const ours = linkPlugins(join(work, 'bin'))['kubectl-trust'];
  const verifiers: Record<string, (args: string[]) => [string, string[]]> = {
    'kubectl trust verify': (args) => [ours, ['verify', ...args]],
    'cosign-v3 verify': (args) => [tool('cosign-v3'), ['verify', ...args]],
    'cosign-v2 verify': (args) => [tool('cosign-v2'), ['verify', ...args]],
  };

  // ---- 1. one image: key (cosign v3, logged in Rekor) and keyless (cosign v3, Fulcio + Rekor) ----
  const keyed = await pushRandomImage(testRegistry, 'bench/key', '1');
  const v3Log = ['--signing-config', sigstore.signingConfigPath as string, '--trusted-root', root, '--new-bundle-format=true'];
  await cosign('cosign-v3', ['sign', '--yes', '--key', join(work, 'key1.key'), ...v3Log, keyed.byDigest]);
  const keyless = await pushRandomImage(testRegistry, 'bench/keyless', '1');
  const tokenFile = join(work, 'id-token');
  writeFileSync(tokenFile, await sigstore.token(), { mode: 0o600 });
  await cosign('cosign-v3', ['sign', '--yes', ...v3Log, '--identity-token', tokenFile, keyless.byDigest]);

  const singles = {
    'key + Rekor': ['--key', publicKey('key1'), '--trusted-root', root, keyed.byDigest],
    keyless: ['--certificate-identity', sigstore.identity, '--certificate-oidc-issuer', sigstore.issuerUrl, '--trusted-root', root, keyless.byDigest],
  };
  const floors: Record<string, () => Promise<Run>> = {
    'node -e 0': () => measure(process.execPath, ['-e', '0'], { env }),
    'kubectl trust --help': () => measure(ours, ['--help'], { env }),
  };
  const singleRows: Row[] = [];
  const singleCommands: string[] = [];
  for (const [label, args] of Object.entries(singles)) {
    const withFloors = label === 'key + Rekor';
    const samples = await interleaved(RUNS, {
      ...Object.fromEntries(Object.entries(verifiers).map(([name, make]) => {
        const [command, commandArgs] = make(args);
        return [name, () => measure(command, commandArgs, { env })];
      })),
      ...(withFloors ? floors : {}),
    });
    const side = (name: string) => ({ label: `\`${name}\``, samples: samples[name] ?? [] });
    for (const cosign of ['cosign-v3 verify', 'cosign-v2 verify']) singleRows.push({ what: `one image, ${label}`, ours: side('kubectl trust verify'), anchor: side(cosign) });
    if (withFloors) {
      singleRows.push({ what: 'floor: Node doing nothing', ours: side('node -e 0'), anchor: side('cosign-v3 verify') });
      singleRows.push({ what: 'floor: our executable doing nothing', ours: side('kubectl trust --help'), anchor: side('cosign-v3 verify') });
    }
    for (const make of Object.values(verifiers)) singleCommands.push(make(args).flat().join(' ').replace(/^\S*\//, ''));
  }
  printComparison('verify: one image signed by cosign v3 (bundle), whole process', RUNS, singleRows, 'ms');
  printCommands(work, singleCommands);

  // ---- 2. repositories of 50, 100 and 200 tags; tag i signed by the first i % 4 keys, in process ----
  const signers: Signer[] = await Promise.all(KEYS.map((name) => loadSigner(join(work, `${name}.key`), { password: async () => PASSWORD, env: (v) => process.env[v] })));
  const client = new RegistryClient({ credentials: dockerConfigCredentials(files.dockerConfigDir) });
  const tagName = (i: number) => `t${String(i).padStart(3, '0')}`;
  const signStart = performance.now();
  const repositories = Object.fromEntries(REPO_SIZES.map((size) => [size, `bench/tags-${size}`])) as Record<(typeof REPO_SIZES)[number], string>;
  await pool(16, REPO_SIZES.flatMap((size) => Array.from({ length: size }, (_, i) => async () => {
    const image = await pushRandomImage(testRegistry, repositories[size], tagName(i));
    // One key after the other: they add to the same .sig tag.
    for (const signer of signers.slice(0, i % 4)) {
      await signPushed({ client, credential: { signer }, transparencyLog: { url: sigstore.rekorUrl }, images: [parseReference(image.tag)], digests: [image.digest], annotations: {}, format: 'legacy' });
    }
  })));
  const signatures = REPO_SIZES.reduce((sum, size) => sum + Array.from({ length: size }, (_, i) => i % 4).reduce((a, b) => a + b, 0), 0);
  console.log(`\npushed ${REPO_SIZES.join(' + ')} images and made ${signatures} legacy signatures (logged in Rekor) in ${((performance.now() - signStart) / 1000).toFixed(1)} s`);
  // cosign is the judge of what we signed: tag 3 carries all three keys' signatures.
  const big = `${registry.host}/${repositories[200]}`;
  for (const name of KEYS) await cosign('cosign-v3', ['verify', '--key', publicKey(name), '--trusted-root', root, `${big}:${tagName(3)}`]);

  const repoArgs = (size: number) => ['--repository', `${registry.host}/${repositories[size as 200]}`, '--key', publicKey('key1'), '--trusted-root', root];
  const oursRepo = (size: number) => async () => {
    const sample = await measure(ours, ['verify', ...repoArgs(size)], { env, ok: [0, 1], rssFile: join(work, `rss-${size}`) });
    // Exit 1 is also how a crash ends: a verdict it is only with a row for every tag (and the header).
    const rows = sample.stdout.trim().split('\n').length - 1;
    if (rows !== size) throw new Error(`kubectl trust verify --repository printed ${rows} rows for ${size} tags:\n${sample.stdout.slice(-1000)}${sample.stderr.slice(-1000)}`);
    return sample;
  };
  const tagsFile = join(work, 'tags.txt');
  writeFileSync(tagsFile, `${Array.from({ length: 200 }, (_, i) => tagName(i)).join('\n')}\n`);
  // The loop prints each tag's exit code (a free echo) so that cosign's verdicts can be compared to ours.
  const loop = `for t in $(cat ${tagsFile}); do if ${tool('cosign-v3')} verify --key ${publicKey('key1')} --trusted-root ${root} ${big}:$t >/dev/null 2>&1; then echo "$t 0"; else echo "$t $?"; fi; done`;
  const repoSamples = await interleaved(REPO_RUNS, {
    'ours, 200 tags': oursRepo(200),
    'cosign-v3 loop, 200 tags': () => measure('bash', ['-c', loop], { env }),
    'ours, 50 tags': oursRepo(50),
    'ours, 100 tags': oursRepo(100),
  });
  printComparison(`verify: a repository of 200 tags (0-3 signatures each), verified with key1 (BENCH_REPO_RUNS=${REPO_RUNS})`, REPO_RUNS, [{
    what: '200 tags',
    ours: { label: '`kubectl trust verify --repository`', samples: repoSamples['ours, 200 tags'] ?? [] },
    anchor: { label: '`cosign-v3 verify`, one per tag (shell loop)', samples: repoSamples['cosign-v3 loop, 200 tags'] ?? [] },
  }], 's');
  const faster = medianMs(repoSamples['cosign-v3 loop, 200 tags']) / medianMs(repoSamples['ours, 200 tags']);
  console.log(`\n${faster.toFixed(1)}x faster (goal: >= 10x)`);
  console.log('our peak RSS by repository size, median');
  for (const size of REPO_SIZES) {
    const samples = repoSamples[`ours, ${size} tags`] ?? [];
    console.log(`  ${String(size).padStart(3)} tags   ${median(samples.map((s) => s.rssMb ?? NaN)).toFixed(0).padStart(5)} MB   ${(medianMs(samples) / 1000).toFixed(2)} s`);
  }

  // Verdicts, tag by tag: ours (JSON) against the cosign loop's exit codes.
  const report = JSON.parse((await measure(ours, ['verify', ...repoArgs(200), '-o', 'json'], { env, ok: [0, 1] })).stdout) as { images: Array<{ tag: string; verdict: { outcome: string } }> };
  const cosignVerdicts = new Map(((repoSamples['cosign-v3 loop, 200 tags'] ?? [])[0]?.stdout ?? '').trim().split('\n').map((line) => line.split(' ') as [string, string]));
  const differ = report.images.filter((image) => (image.verdict.outcome === 'pass') !== (cosignVerdicts.get(image.tag) === '0'));
  const passed = report.images.filter((image) => image.verdict.outcome === 'pass').length;
  console.log(`verdicts: ours ${passed} pass of ${report.images.length} tags, cosign-v3 ${[...cosignVerdicts.values()].filter((code) => code === '0').length} of ${cosignVerdicts.size}; ${differ.length} differ`);
  for (const image of differ) console.log(`  ${image.tag}: ours ${image.verdict.outcome}, cosign-v3 exit ${cosignVerdicts.get(image.tag)}`);
  console.log(`compared:\n  $ kubectl trust verify ${repoArgs(200).join(' ')}\n  $ bash -c '${loop}'`);
} finally {
  for (const service of services.reverse()) await stopProcess(service);
  rmSync(work, { recursive: true, force: true });
}
