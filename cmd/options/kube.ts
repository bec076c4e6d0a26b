// The connection flags every kubectl plugin honours, with kubectl's names and meaning.
import type { Argv } from 'yargs';
import { DEFAULT_REQUEST_TIMEOUT } from '../../pkg/kube/request-timeout.ts';

/**
 * kubectl's --request-timeout (its format: pkg/kube/request-timeout.ts), shared by every command
 * that calls the Kubernetes API. Bounded by default, unlike kubectl's 0: a CI job must not wait
 * minutes on an API server that took the connection and says nothing.
 */
export const REQUEST_TIMEOUT_OPTION = {
  'request-timeout': {
    type: 'string',
    default: DEFAULT_REQUEST_TIMEOUT,
    coerce: (value: unknown) => String(Array.isArray(value) ? value.at(-1) : value),
    describe: 'How long one Kubernetes API request may take (kubectl\'s format: 30s, 2m, or a whole number of seconds; 0 for no bound); never cuts a running build',
  },
} as const;

export function withKubeOptions<T>(parser: Argv<T>) {
  return parser
    .options({
      kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' },
      context: { type: 'string', describe: 'The kubeconfig context to use' },
      namespace: { alias: 'n', type: 'string', describe: "Namespace of the builder (default: the context's namespace)" },
      builder: { type: 'string', default: 'buildkit', describe: 'Name of the builder (created on first use)' },
      ...REQUEST_TIMEOUT_OPTION,
    })
    .group(['kubeconfig', 'context', 'namespace', 'builder', 'request-timeout'], 'Cluster:');
}

// Only for builds: which node's builder pod (and so, with --load, which node gets the image), or
// one pod on each of the builder's nodes, so that a Deployment's Pods find the image wherever they land.
export function withBuilderNodeOption<T>(parser: Argv<T>) {
  return parser
    .options({
      node: { type: 'string', describe: "Build on the builder's pod on this node; with --load the image lands there (default: the pod the context directory maps to)" },
      'all-nodes': {
        type: 'boolean',
        describe: "Build on the builder's pod on each of its nodes at once and --load the image into every one of them (implies --load; says which nodes got it, and fails naming any that did not)",
      },
    })
    .group(['node', 'all-nodes'], 'Cluster:');
}

// Only for builds: registry credentials kept in the cluster.
export function withRegistrySecretOption<T>(parser: Argv<T>) {
  return parser
    .options({
      'registry-secret': { type: 'string', describe: 'A kubernetes.io/dockerconfigjson Secret whose credentials push and pull (default: your docker config)' },
    })
    .group(['registry-secret'], 'Cluster:');
}
