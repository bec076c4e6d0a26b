import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POLICY_CONTROLLER, policyControllerManifests } from './policy-controller.ts';

const dir = mkdtempSync(join(tmpdir(), 'kb-policy-controller-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("policy-controller's manifests, patched for the local cluster", () => {
  it('runs our image without pulling or TUF, and sets every webhook to fail closed within our timeout', () => {
    const config = join(dir, 'config');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'kustomization.yaml'), 'resources: [webhook.yaml]\n');
    writeFileSync(join(config, '100-namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cosign-system\n');
    writeFileSync(join(config, '500-webhook-configuration.yaml'), 'kind: ValidatingWebhookConfiguration\nmetadata: {name: policy.sigstore.dev}\nwebhooks:\n- name: policy.sigstore.dev\n  timeoutSeconds: 25\n---\nkind: MutatingWebhookConfiguration\nmetadata: {name: policy.sigstore.dev}\nwebhooks:\n- name: policy.sigstore.dev\n');
    writeFileSync(join(config, 'webhook.yaml'), '---\n---\nkind: Deployment\nmetadata: {name: webhook}\nspec:\n  template:\n    spec:\n      containers:\n      - name: webhook\n        image: ko://x\n        args: []\n        readinessProbe: &probe\n          initialDelaySeconds: 20\n        livenessProbe: *probe\n');
    const manifests = policyControllerManifests(config, 'localhost/kubectl-build/policy-controller:v1');
    expect(manifests.map((manifest) => manifest.kind)).toEqual(['Namespace', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'Deployment']);
    const container = (manifests[3] as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } }).spec.template.spec.containers[0];
    expect(container).toMatchObject({ image: 'localhost/kubectl-build/policy-controller:v1', imagePullPolicy: 'Never', args: ['-disable-tuf'], readinessProbe: { initialDelaySeconds: 1 }, livenessProbe: { initialDelaySeconds: 1 } });
    for (const manifest of manifests.slice(1, 3)) expect(manifest.webhooks).toEqual([{ name: 'policy.sigstore.dev', failurePolicy: 'Fail', timeoutSeconds: POLICY_CONTROLLER.timeoutSeconds }]);
  });

  it('says what to do when the module is not installed', () => {
    expect(() => policyControllerManifests(join(dir, 'nowhere'), 'x')).toThrow(`policy-controller's manifests are not at ${join(dir, 'nowhere')}; run hack/tools.sh install`);
  });
});
