import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/index.ts';
import { policyDocument } from '../policy/serialize.ts';
import { sweepJobManifests } from './sweep-manifests.ts';

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfvKUEjW1XlbQV52oBokl0orYEf3iUoKAeMJsh7IVe0FefxmTqdHLqqkI9gXFo6W42tcXGsrWLStmhmDyjoC/Uw==\n-----END PUBLIC KEY-----\n';

describe('the sweep as a CronJob', () => {
  it('carries the policy with its keys inlined, so the cluster needs none of the files it named', () => {
    const policy = parsePolicy(
      `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
metadata: { name: release }
trustedRoot: /home/me/trusted_root.json
signers:
  - { name: dev, key: /home/me/dev.pub }
  - name: ci
    keyless: { identityRegExp: '.*@example\\.com', issuer: https://issuer.example.com }
rules:
  - name: app
    images: ["reg.example.com/**"]
    require: { all: [dev], anyOf: [ci] }
    annotations: { env: prod }
    platforms: true
`,
      '/home/me/policy.yaml',
    );
    const written = policyDocument(policy, new Map([['dev', PEM]]), '/etc/kubectl-trust/trusted_root.json');
    const again = parsePolicy(written, 'policy.yaml');
    expect(again.signers).toEqual([{ kind: 'key', name: 'dev', key: PEM }, policy.signers[1]]);
    expect(again.rules).toEqual(policy.rules);
    expect(again.trustedRoot).toBe('/etc/kubectl-trust/trusted_root.json');
    expect(again.name).toBe('release');
  });

  it('asks for exactly what the sweep does: list Pods, and only when it evicts, create Evictions and Events', () => {
    const base = { namespace: 'ops', image: 'reg/kubectl-trust:1', schedule: '*/5 * * * *', policy: 'p', args: ['--all-namespaces'] };
    const rulesOf = (objects: Record<string, unknown>[]) => (objects.find((object) => String(object.kind).endsWith('Role')) as { rules: unknown[] }).rules;
    expect(rulesOf(sweepJobManifests({ ...base, evicts: false }))).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
    const evicting = sweepJobManifests({ ...base, evicts: true });
    expect(rulesOf(evicting)).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    expect(evicting.map((object) => object.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'CronJob']);
    // One namespace swept: a Role there, not a ClusterRole.
    expect(sweepJobManifests({ ...base, evicts: true, sweptNamespace: 'apps' }).map((object) => [object.kind, (object.metadata as { namespace?: string }).namespace])).toEqual([
      ['ServiceAccount', 'ops'],
      ['Role', 'apps'],
      ['RoleBinding', 'apps'],
      ['ConfigMap', 'ops'],
      ['CronJob', 'ops'],
    ]);
  });
});
