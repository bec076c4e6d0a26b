import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../pkg/kube/builder-spec.ts';
import { parseVersions, readVersions } from './versions.ts';

function goModRequire(module: string, goMod: string): string | undefined {
  const text = readFileSync(new URL(`../${goMod}`, import.meta.url), 'utf8');
  return new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(text)?.[1];
}

describe('hack/versions.env', () => {
  const versions = readVersions();

  it('pins every Go peer to an exact release', () => {
    for (const key of ['BUILDKIT_VERSION', 'COSIGN_V2_VERSION', 'COSIGN_V3_VERSION', 'GGCR_VERSION', 'KUBERNETES_VERSION', 'KREW_VERSION',
      'FULCIO_VERSION', 'REKOR_VERSION', 'TRILLIAN_VERSION', 'CT_GO_VERSION']) {
      expect(versions[key], key).toMatch(/^v\d+\.\d+\.\d+$/);
    }
    expect(versions.COSIGN_V2_VERSION).toMatch(/^v2\./);
    expect(versions.COSIGN_V3_VERSION).toMatch(/^v3\./);
    expect(versions.NODE_VERSION).toMatch(/^24\.\d+\.\d+$/);
  });

  it('agrees with the wrapper modules that build the registry and kubectl', () => {
    expect(goModRequire('github.com/google/go-containerregistry', 'oci-registry/go.mod')).toBe(versions.GGCR_VERSION);
    // Kubernetes v1.N.P ships its libraries as v0.N.P.
    const libraries = versions.KUBERNETES_VERSION?.replace(/^v1\./, 'v0.');
    expect(goModRequire('k8s.io/kubectl', 'kubectl/go.mod')).toBe(libraries);
    expect(goModRequire('k8s.io/component-base', 'kubectl/go.mod')).toBe(libraries);
  });

  it('agrees with the wrapper module that links buildx, patternmatcher and fsutil', () => {
    expect(goModRequire('github.com/docker/buildx', 'buildx-diff/go.mod')).toBe(versions.BUILDX_VERSION);
    expect(goModRequire('github.com/moby/patternmatcher', 'buildx-diff/go.mod')).toBe(versions.PATTERNMATCHER_VERSION);
    expect(goModRequire('github.com/tonistiigi/fsutil', 'buildx-diff/go.mod')).toBe(versions.FSUTIL_VERSION);
    // The judge reads flags as the buildx built on our BuildKit does.
    expect(goModRequire('github.com/moby/buildkit', 'buildx-diff/go.mod')).toBe(versions.BUILDKIT_VERSION);
  });

  it('is where the builders\' default image comes from, the one the README names', () => {
    expect(DEFAULT_IMAGE).toBe(`docker.io/moby/buildkit:${versions.BUILDKIT_VERSION}`);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`The default image is \`${DEFAULT_IMAGE}\``);
    expect(readme).toContain(`default: the CLI's, \`${DEFAULT_IMAGE}\``);
  });

  it("is what the README's Pinned tools table says, version for version", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Pinned tools'), readme.indexOf('Builds go to'));
    // The version column of each row: every version-looking word in it.
    const stated = section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| tool'))
      .flatMap((line) => (line.split('|')[2] ?? '').match(/v?\d+\.\d+\.\d+(?:-[0-9a-f-]+)?/g) ?? []);
    const pinned = Object.entries(versions)
      .filter(([key]) => key.endsWith('_VERSION'))
      .map(([, value]) => value as string);
    const etcd = /etcd-server_(\d+\.\d+\.\d+)-/.exec(versions.ETCD_DEB ?? '')?.[1];
    expect(new Set(stated)).toEqual(new Set([...pinned, etcd]));
  });

  it('lists the Debian packages the stack runs on', () => {
    const packages = versions.APT_PACKAGES?.split(' ') ?? [];
    for (const name of ['docker-registry', 'runc', 'umoci', 'skopeo', 'busybox-static', 'mariadb-server']) expect(packages).toContain(name);
  });
});

describe('parseVersions', () => {
  it('reads quoted and bare values and skips comments', () => {
    expect(parseVersions('# c\nA=1\nB="x y"\n\n')).toEqual({ A: '1', B: 'x y' });
  });

  it('refuses a line it cannot read instead of guessing', () => {
    expect(() => parseVersions('A = 1')).toThrow(/cannot read line/);
  });
});
