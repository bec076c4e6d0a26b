// The sweep as a CronJob in the cluster: the CLI's own image running `kubectl-trust sweep` with the
// same flags, the policy (keys inlined, trusted root beside it) in a ConfigMap, and a service account
// allowed exactly what the sweep does: list Pods, create Evictions, create Events.
export interface SweepJobOptions {
  /** Where the CronJob, its ServiceAccount and ConfigMap live. */
  readonly namespace: string;
  readonly image: string;
  readonly schedule: string;
  /** The policy file's text, keys inlined (policyDocument). */
  readonly policy: string;
  readonly trustedRoot?: string;
  /** The sweep's arguments after `--policy FILE`: -A or -n NS, --evict, --dry-run, --allow-http-registry. */
  readonly args: readonly string[];
  /** Evictions asked for: the Role then allows them. */
  readonly evicts: boolean;
  /** One namespace swept (a Role there) or every one (a ClusterRole). */
  readonly sweptNamespace?: string;
}

export const SWEEP_NAME = 'kubectl-trust-sweep';
const MOUNT = '/etc/kubectl-trust';

export function sweepJobManifests(options: SweepJobOptions): Record<string, unknown>[] {
  const { namespace } = options;
  const rules = [
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ...(options.evicts ? [{ apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] }, { apiGroups: [''], resources: ['events'], verbs: ['create'] }] : []),
  ];
  const scoped = options.sweptNamespace !== undefined;
  const roleKind = scoped ? 'Role' : 'ClusterRole';
  const roleMeta = scoped ? { name: SWEEP_NAME, namespace: options.sweptNamespace } : { name: SWEEP_NAME };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SWEEP_NAME, namespace } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: roleKind, metadata: roleMeta, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: scoped ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata: roleMeta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: SWEEP_NAME },
      subjects: [{ kind: 'ServiceAccount', name: SWEEP_NAME, namespace }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${SWEEP_NAME}-policy`, namespace },
      data: { 'policy.yaml': options.policy, ...(options.trustedRoot ? { 'trusted_root.json': options.trustedRoot } : {}) },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: SWEEP_NAME, namespace },
      spec: {
        schedule: options.schedule,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                serviceAccountName: SWEEP_NAME,
                restartPolicy: 'Never',
                containers: [
                  {
                    name: 'sweep',
                    image: options.image,
                    imagePullPolicy: 'IfNotPresent',
                    args: ['sweep', '--policy', `${MOUNT}/policy.yaml`, ...options.args],
                    volumeMounts: [
                      { name: 'policy', mountPath: MOUNT, readOnly: true },
                      // The root file system is read-only; Node may want a temporary folder.
                      { name: 'tmp', mountPath: '/tmp' },
                    ],
                    securityContext: { runAsNonRoot: true, runAsUser: 65532, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                  },
                ],
                volumes: [
                  { name: 'policy', configMap: { name: `${SWEEP_NAME}-policy` } },
                  { name: 'tmp', emptyDir: {} },
                ],
              },
            },
          },
        },
      },
    },
  ];
}

export const SWEEP_TRUSTED_ROOT_PATH = `${MOUNT}/trusted_root.json`;
