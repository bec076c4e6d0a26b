import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../errors/index.ts';
import { loadKubeConnection } from './config.ts';

function kubeconfig(dir: string, name: string, body: { current?: string; contexts: Array<[string, string, string?]>; clusters: Array<[string, string]> }): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    ...(body.current ? { 'current-context': body.current } : {}),
    clusters: body.clusters.map(([cluster, server]) => ({ name: cluster, cluster: { server } })),
    users: [{ name: `user-${name}`, user: { token: 'x' } }],
    contexts: body.contexts.map(([context, cluster, namespace]) => ({ name: context, context: { cluster, user: `user-${name}`, ...(namespace ? { namespace } : {}) } })),
  }));
  return file;
}

describe('loadKubeConnection: the cluster, context and namespace as kubectl picks them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-kubeconfig-'));
  const first = kubeconfig(dir, 'first', { current: 'dev', contexts: [['dev', 'a', 'team'], ['shared', 'a']], clusters: [['a', 'https://a.example:6443']] });
  const second = kubeconfig(dir, 'second', { current: 'prod', contexts: [['prod', 'b'], ['shared', 'b', 'other']], clusters: [['b', 'https://b.example:6443'], ['a', 'https://wrong.example']] });

  it('merges KUBECONFIG files: the first to set a name or the current context wins; missing files are skipped', () => {
    const env = { KUBECONFIG: [join(dir, 'missing'), first, second].join(delimiter) };
    const connection = loadKubeConnection({}, env, dir);
    expect(connection.contextName).toBe('dev');
    expect(connection.namespace).toBe('team');
    expect(connection.config.getCurrentCluster()?.server).toBe('https://a.example:6443');
    const shared = loadKubeConnection({ context: 'shared' }, env, dir);
    expect(shared.config.getCurrentCluster()?.server).toBe('https://a.example:6443');
    expect(shared.namespace).toBe('default');
    expect(loadKubeConnection({ context: 'prod' }, env, dir).config.getCurrentCluster()?.server).toBe('https://b.example:6443');
  });

  it('lets --kubeconfig win over KUBECONFIG, and --namespace over the context', () => {
    const connection = loadKubeConnection({ kubeconfig: second, namespace: 'mine' }, { KUBECONFIG: first }, dir);
    expect(connection.contextName).toBe('prod');
    expect(connection.namespace).toBe('mine');
    expect(connection.description).toBe('context "prod", namespace "mine"');
  });

  it('names what is missing: a --kubeconfig file, a context, any kubeconfig at all', () => {
    expect(() => loadKubeConnection({ kubeconfig: join(dir, 'nope') }, {}, dir)).toThrow(/the kubeconfig file .*nope does not exist/);
    expect(() => loadKubeConnection({ context: 'staging' }, { KUBECONFIG: first }, dir)).toThrow(/the context "staging" does not exist/);
    try {
      loadKubeConnection({}, {}, join(dir, 'empty-home'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KubectlBuildError);
      expect((error as KubectlBuildError).message).toMatch(/^no kubeconfig found/);
      expect((error as KubectlBuildError).hint).toContain('--builder-addr');
    }
  });
});
