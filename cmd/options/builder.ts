// `kubectl buildkit create` flags: how the builder's Deployment is made (buildkit-cli-for-kubectl's
// and buildx's kubernetes driver's names where they had one).
import type { Argv } from 'yargs';

function repeatable(describe: string) {
  return { type: 'string' as const, array: true as const, nargs: 1, default: [] as string[], describe };
}

/** What create takes when a flag is not given; also what kubectl build uses for a builder it creates on first use. */
export const CREATE_DEFAULTS = {
  rootless: false,
  replicas: 1,
  worker: 'auto',
  timeout: '120s',
} as const;

export function withCreateOptions<T>(parser: Argv<T>) {
  return parser
    .positional('name', { type: 'string', describe: 'Name of the builder (default: --builder, "buildkit")' })
    .options({
      image: { type: 'string', describe: 'BuildKit image (default: $KUBECTL_BUILDKIT_IMAGE, else moby/buildkit of the pinned release)' },
      rootless: { type: 'boolean', default: CREATE_DEFAULTS.rootless, describe: 'Run buildkitd rootless (no privileged pod; the -rootless image)' },
      replicas: { type: 'number', default: CREATE_DEFAULTS.replicas, describe: 'Number of buildkitd pods; builds pick one per context directory' },
      worker: { type: 'string', choices: ['auto', 'runc', 'containerd'] as const, default: CREATE_DEFAULTS.worker, describe: "runc: builds inside the pod; containerd: the node's containerd (needed by --load); auto: containerd unless --rootless" },
      platform: repeatable('Schedule on nodes of this platform (linux/arm64 sets the kubernetes.io/arch node selector)'),
      'node-selector': repeatable('Node selector (key=value); repeatable or comma-separated'),
      tolerations: repeatable('Toleration (key=value:Effect, key:Effect, key=value, or "*" for all taints); repeatable'),
      requests: { type: 'string', describe: 'Resource requests, e.g. cpu=1,memory=2Gi' },
      limits: { type: 'string', describe: 'Resource limits, e.g. cpu=4,memory=8Gi' },
      config: { type: 'string', describe: 'buildkitd.toml to use (kept in a ConfigMap)' },
      env: repeatable('Environment variable for buildkitd (KEY=VALUE); repeatable'),
      'per-node': { type: 'boolean', default: false, describe: 'One pod on each node that fits (node selector, tolerations) instead of --replicas; nodes added later need a re-create' },
      append: { type: 'boolean', default: false, describe: 'Add a Deployment to an existing builder (with --platform: pods that run that platform natively)' },
      timeout: { type: 'string', default: CREATE_DEFAULTS.timeout, describe: 'How long to wait for the builder to be ready (e.g. 90s, 5m)' },
    })
    .group(['image', 'rootless', 'replicas', 'worker', 'platform', 'node-selector', 'tolerations', 'requests', 'limits', 'config', 'env', 'per-node', 'append', 'timeout'], 'Builder:');
}
