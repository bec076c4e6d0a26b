// The export lines of hack/local-stack up, evaluated by a real shell as a user evals them: every
// variable the README's "The local stack" section names is set (BUILDKIT_HOST only with
// --no-cluster), and the registry password reaches REGISTRY_PASSWORD without being printed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportLines, type StackState } from './stack-exports.ts';

const dir = mkdtempSync(join(tmpdir(), 'kb-stack-exports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const password = "s3cret-'quoted' $(not run)";
const passwordFile = join(dir, "registry password's file");
writeFileSync(passwordFile, password, { mode: 0o600 });

const service = { pid: 1, command: 'x', logFile: '/dev/null' };
const base: StackState = {
  registry: { ...service, host: '10.244.0.1:5000', username: 'kubectl-build', passwordFile },
  buildkitd: { ...service, address: 'unix:///run/buildkitd.sock' },
  dockerConfigDir: join(dir, 'docker'),
  baseImage: '10.244.0.1:5000/library/busybox:latest',
  sigstore: { processes: [], fulcioUrl: 'http://127.0.0.1:1', rekorUrl: 'http://127.0.0.1:2', issuerUrl: 'http://127.0.0.1:3', trustedRoot: join(dir, 'trusted_root.json'), identity: 'tester@example.com' },
};
const withCluster: StackState = { ...base, cluster: { kubeconfig: join(dir, 'kubeconfig'), buildkitImage: 'localhost/kubectl-build/buildkit', buildkitdConfig: join(dir, 'buildkitd.toml') }, policyController: { trustRoot: 'kubectl-build-local' } };

/** The variables a shell has after eval of the lines (starting from an environment with BUILDKIT_HOST set). */
function evaluated(lines: string): Record<string, string> {
  const out = execFileSync('sh', ['-c', 'eval "$LINES" && env -0'], { env: { PATH: process.env.PATH, LINES: lines, BUILDKIT_HOST: 'tcp://stale:1' }, encoding: 'utf8' });
  return Object.fromEntries(out.split('\0').filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** The variables README.md says `up` exports: the backquoted upper-case names of its "It exports" paragraph. */
function readmeVariables(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const paragraph = /\nIt exports ([\s\S]+?)\n\n/.exec(readme.slice(readme.indexOf('## The local stack')))?.[1] ?? '';
  return [...new Set([...paragraph.matchAll(/`([A-Z][A-Z_]+)`/g)].map((match) => match[1] as string))].filter((name) => !name.startsWith('KUBECTL_BUILD_STACK'));
}

describe('hack/local-stack up export lines', () => {
  it('set every variable the README names, with the cluster and policy-controller (BUILDKIT_HOST unset)', () => {
    const names = readmeVariables();
    expect(names).toContain('REGISTRY_PASSWORD');
    const env = evaluated(exportLines(withCluster));
    const expected = names.filter((name) => name !== 'BUILDKIT_HOST');
    expect(expected.filter((name) => !env[name])).toEqual([]);
    expect(env.BUILDKIT_HOST).toBeUndefined();
    expect(env).toMatchObject({ KUBECONFIG: join(dir, 'kubeconfig'), LOCAL_BUILDKIT_HOST: 'unix:///run/buildkitd.sock', POLICY_TRUST_ROOT: 'kubectl-build-local' });
  });

  it('with --no-cluster: BUILDKIT_HOST is the local daemon, and nothing of the cluster is set', () => {
    const env = evaluated(exportLines(base));
    expect(env.BUILDKIT_HOST).toBe('unix:///run/buildkitd.sock');
    for (const name of ['KUBECONFIG', 'KUBECTL_BUILDKIT_IMAGE', 'LOCAL_BUILDKIT_HOST', 'POLICY_TRUST_ROOT']) expect(env[name], name).toBeUndefined();
  });

  it('hand over the registry password without printing it', () => {
    const lines = exportLines(withCluster);
    expect(lines).not.toContain(password);
    expect(lines).not.toContain('s3cret');
    expect(evaluated(lines).REGISTRY_PASSWORD).toBe(password);
  });
});
