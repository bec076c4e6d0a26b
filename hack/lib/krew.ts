// krew plugin manifests for the release: one per plugin, all three installing the same single
// executable, which krew links as kubectl-<plugin> (the name picks the plugin). Written into a
// custom index's layout (plugins/<name>.yaml), since "build" is another project's name in the
// central index: `kubectl krew index add kubectl-build URL` then `kubectl krew install kubectl-build/build`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface ReleasePlatform {
  readonly os: string;
  readonly arch: string;
  readonly uri: string;
  readonly sha256: string;
}

interface KrewPlugin {
  readonly name: string;
  readonly shortDescription: string;
  readonly description: string;
}

/** The executable inside every archive. */
export const EXECUTABLE = 'kubectl-build';

const PLUGINS: readonly KrewPlugin[] = [
  {
    name: 'build',
    shortDescription: 'Build, push and sign images with BuildKit in the cluster',
    description:
      'kubectl build builds a container image with BuildKit running in your cluster (docker build\'s flags),\n' +
      'pushes it and signs the pushed digest with a cosign key or keylessly, so that cosign verify accepts it.\n',
  },
  {
    name: 'buildkit',
    shortDescription: 'Manage BuildKit builders (buildkitd Deployments) in the cluster',
    description: 'kubectl buildkit create|ls|rm|version manages the BuildKit builders that kubectl build uses.\n',
  },
  {
    name: 'trust',
    shortDescription: 'Verify who signed an image, against a signer policy',
    description:
      'kubectl trust verify checks the cosign signatures of an image (or of every tag of a repository)\n' +
      'against keys, keyless identities or a policy of several signers, and exits 0, 1 or 2.\n',
  },
];

export function krewManifest(plugin: KrewPlugin, version: string, homepage: string, platforms: readonly ReleasePlatform[]): string {
  return stringify({
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: plugin.name },
    spec: {
      version,
      homepage,
      shortDescription: plugin.shortDescription,
      description: plugin.description,
      caveats:
        'All three plugins (build, buildkit, trust) are the same executable, one copy each.\n' +
        `For kubectl's completion of the plugin's flags, link kubectl_complete-${plugin.name} to it:\n` +
        `  ln -s "$(readlink -f ~/.krew/bin/kubectl-${plugin.name})" ~/.krew/bin/kubectl_complete-${plugin.name}\n`,
      platforms: platforms.map((platform) => ({
        selector: { matchLabels: { os: platform.os, arch: platform.arch } },
        uri: platform.uri,
        sha256: platform.sha256,
        files: [
          { from: EXECUTABLE, to: '.' },
          { from: 'LICENSE', to: '.' },
        ],
        bin: EXECUTABLE,
      })),
    },
  }, { blockQuote: 'literal', lineWidth: 0 });
}

/** Writes INDEX/plugins/<name>.yaml for every plugin; returns their paths. */
export async function writeKrewIndex(index: string, version: string, homepage: string, platforms: readonly ReleasePlatform[]): Promise<string[]> {
  await mkdir(join(index, 'plugins'), { recursive: true });
  const paths: string[] = [];
  for (const plugin of PLUGINS) {
    const path = join(index, 'plugins', `${plugin.name}.yaml`);
    await writeFile(path, krewManifest(plugin, version, homepage, platforms));
    paths.push(path);
  }
  return paths;
}
