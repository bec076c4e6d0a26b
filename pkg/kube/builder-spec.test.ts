import { describe, expect, it } from 'vitest';
import { builderConfigMap, builderDeployment, type BuilderSpec } from './builder-spec.ts';

const base: BuilderSpec = {
  name: 'buildkit',
  deploymentName: 'buildkit',
  namespace: 'ci',
  image: 'docker.io/moby/buildkit:v0.34.2',
  rootless: false,
  replicas: 2,
  worker: 'containerd',
  nodeSelector: {},
  tolerations: [],
  requests: {},
  limits: {},
  env: {},
};

describe('the builder Deployment', () => {
  it('with the containerd worker: the node paths at the same paths inside, shared both ways, a state folder per pod', () => {
    const deployment = builderDeployment(base);
    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.args).toContain('--root=/var/lib/buildkit/buildkit/$(POD_NAME)');
    expect(container?.args).toContain('--containerd-worker-namespace=k8s.io');
    expect(container?.securityContext).toEqual({ privileged: true });
    for (const path of ['/var/lib/containerd', '/run/containerd', '/var/lib/buildkit/buildkit', '/tmp']) {
      expect(container?.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: path, mountPropagation: 'Bidirectional' }));
      expect(pod?.volumes).toContainEqual(expect.objectContaining({ hostPath: expect.objectContaining({ path }) }));
    }
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.selector.matchLabels).toEqual({ 'kubectl-build.dev/builder': 'buildkit', 'kubectl-build.dev/deployment': 'buildkit' });
  });

  it("prefers to put the replicas on different nodes, and still runs them all on a single node", () => {
    const pod = builderDeployment({ ...base, deploymentName: 'buildkit-linux-arm64' }).spec?.template.spec;
    expect(pod?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(pod?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        weight: 100,
        podAffinityTerm: {
          topologyKey: 'kubernetes.io/hostname',
          labelSelector: { matchLabels: { 'kubectl-build.dev/builder': 'buildkit', 'kubectl-build.dev/deployment': 'buildkit-linux-arm64' } },
        },
      },
    ]);
  });

  it('with --per-node, requires one pod per node', () => {
    const pod = builderDeployment({ ...base, perNode: true }).spec?.template.spec;
    expect(pod?.affinity?.podAntiAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'kubectl-build.dev/builder': 'buildkit', 'kubectl-build.dev/deployment': 'buildkit' } } },
      ],
    });
  });

  it('rootless with runc: no privilege, no process sandbox, state in an emptyDir', () => {
    const container = builderDeployment({ ...base, rootless: true, worker: 'runc' }).spec?.template.spec?.containers[0];
    expect(container?.securityContext).toMatchObject({ runAsUser: 1000, seccompProfile: { type: 'Unconfined' } });
    expect(container?.securityContext?.privileged).toBeUndefined();
    expect(container?.args).toContain('--oci-worker-no-process-sandbox');
    expect(container?.volumeMounts).toEqual([{ name: 'buildkit-state', mountPath: '/home/user/.local/share/buildkit' }]);
  });

  it('carries node selector, tolerations, resources, env and a ConfigMap for --config', () => {
    const spec = {
      ...base,
      deploymentName: 'buildkit-linux-arm64',
      worker: 'runc' as const,
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'arch', operator: 'Equal', value: 'arm64', effect: 'NoSchedule' }],
      requests: { cpu: '1' },
      limits: { memory: '4Gi' },
      env: { BUILDKIT_STEP_LOG_MAX_SIZE: '-1' },
      config: '[worker.oci]\n  gc = false\n',
    };
    const deployment = builderDeployment(spec);
    const pod = deployment.spec?.template.spec;
    expect(deployment.metadata?.name).toBe('buildkit-linux-arm64');
    expect(pod?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
    expect(pod?.tolerations).toEqual(spec.tolerations);
    expect(pod?.containers[0]?.resources).toEqual({ requests: { cpu: '1' }, limits: { memory: '4Gi' } });
    expect(pod?.containers[0]?.env).toContainEqual({ name: 'BUILDKIT_STEP_LOG_MAX_SIZE', value: '-1' });
    expect(pod?.volumes).toContainEqual({ name: 'buildkitd-config', configMap: { name: 'buildkit-linux-arm64-buildkitd-config' } });
    expect(builderConfigMap(spec)?.data).toEqual({ 'buildkitd.toml': spec.config });
    expect(builderConfigMap(base)).toBeUndefined();
  });
});
