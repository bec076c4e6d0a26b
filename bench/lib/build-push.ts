// What the signing benchmarks share: a registry with auth, a buildkitd on this machine that pushes
// to it, a small image built FROM the registry's base image, and both clients of that daemon: our
// shipped `kubectl build --push` and `buildctl build --push`, each to a repository of its own (so
// that each side's signatures pile up at the same pace), on the same build cache.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBuildkitd, type Buildkitd } from '../../hack/lib/buildkitd.ts';
import { writeClientFiles } from '../../hack/lib/client-files.ts';
import { tool } from '../../hack/lib/paths.ts';
import type { ServiceProcess } from '../../hack/lib/process.ts';
import { randomPassword, startRegistry, type Registry } from '../../hack/lib/registry.ts';
import { seedBaseImage } from '../../hack/lib/seed.ts';
import { linkPlugins, measure, type Run } from './process.ts';
import { medianMs, type Cases } from './runs.ts';
import type { Row } from './table.ts';

export const COSIGN_PASSWORD = 'bench';

export interface BuildPush {
  readonly registry: Registry;
  readonly buildkitd: Buildkitd;
  /** DOCKER_CONFIG for the registry, COSIGN_PASSWORD, a TUF_ROOT of the run's own; no BUILDKIT_HOST. */
  readonly env: NodeJS.ProcessEnv;
  /** `kubectl build --push` (the shipped executable) of the context to REPOSITORY:1, then `extra`. */
  kubectlBuild(repository: string, extra?: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run>;
  /** `buildctl build --push` of the same context to REPOSITORY:1. */
  buildctlBuild(repository: string): Promise<Run>;
  /** REGISTRY/REPOSITORY@DIGEST of what buildctl last pushed to REPOSITORY. */
  buildctlPushed(repository: string): string;
  /** The lines that show what each side ran. */
  commands(): string[];
}

export async function startBuildPush(work: string, services: ServiceProcess[]): Promise<BuildPush> {
  const registry = await startRegistry({ kind: 'distribution', dir: join(work, 'registry'), auth: { username: 'bench', password: randomPassword() } });
  services.push(registry.process);
  const buildkitd = await startBuildkitd({ dir: join(work, 'buildkitd'), registries: [{ host: registry.host, plainHttp: true }] });
  services.push(buildkitd.process);
  const files = writeClientFiles(work, [registry]);
  const base = await seedBaseImage(registry, files);
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: files.dockerConfigDir, COSIGN_PASSWORD, TUF_ROOT: join(work, 'tuf') };
  delete env.BUILDKIT_HOST;
  const plugins = linkPlugins(join(work, 'bin'));
  const context = join(work, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'app.txt'), 'the same app every run\n');
  writeFileSync(join(context, 'Dockerfile'), `FROM ${base}\nCOPY app.txt /app/\nRUN cp /app/app.txt /app/copy.txt\n`);
  const metadata = (repository: string) => join(work, `${repository.replaceAll('/', '-')}.metadata.json`);

  const kubectlArgs = (repository: string, extra: readonly string[]) =>
    ['--progress', 'quiet', '--builder-addr', buildkitd.address, '-t', `${registry.host}/${repository}:1`, '--push', ...extra, context];
  const buildctlArgs = (repository: string) => [
    '--addr', buildkitd.address, 'build', '--progress', 'quiet', '--frontend', 'dockerfile.v0', '--local', `context=${context}`, '--local', `dockerfile=${context}`,
    '--output', `type=image,name=${registry.host}/${repository}:1,push=true`, '--metadata-file', metadata(repository),
  ];
  return {
    registry,
    buildkitd,
    env,
    kubectlBuild: (repository, extra = [], extraEnv = {}) => measure(plugins['kubectl-build'], kubectlArgs(repository, extra), { env: { ...env, ...extraEnv } }),
    buildctlBuild: (repository) => measure(tool('buildctl'), buildctlArgs(repository), { env }),
    buildctlPushed: (repository) => {
      const digest = (JSON.parse(readFileSync(metadata(repository), 'utf8')) as Record<string, string>)['containerimage.digest'];
      if (!digest) throw new Error(`buildctl reported no digest for ${repository}`);
      return `${registry.host}/${repository}@${digest}`;
    },
    commands: () => [
      `kubectl build ${kubectlArgs('REPOSITORY', []).join(' ')}`,
      `buildctl ${buildctlArgs('REPOSITORY').join(' ')}`,
    ],
  };
}

/** The row both signing benchmarks start with: the same cached build pushed, nothing signed. */
export function unsignedCases(bench: BuildPush): Cases<Run> {
  return { 'ours push': () => bench.kubectlBuild('push/ours'), 'buildctl push': () => bench.buildctlBuild('push/anchor') };
}

export function unsignedRow(samples: Record<string, readonly Run[]>): Row {
  return {
    what: 'build + push',
    ours: { label: '`kubectl build --push`', samples: samples['ours push'] ?? [] },
    anchor: { label: '`buildctl build --push`', samples: samples['buildctl push'] ?? [] },
  };
}

/** What signing adds to a side: its signed case's median less its unsigned push's, in ms. */
export function signingAdds(samples: Record<string, readonly Run[]>, signed: string, side: 'ours' | 'anchor'): string {
  return `${(medianMs(samples[signed]) - medianMs(samples[side === 'ours' ? 'ours push' : 'buildctl push'])).toFixed(0)} ms`;
}
