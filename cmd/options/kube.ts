// The connection flags every kubectl plugin honours, with kubectl's names and meaning.
import type { Argv } from 'yargs';

export function withKubeOptions<T>(parser: Argv<T>) {
  return parser
    .options({
      kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' },
      context: { type: 'string', describe: 'The kubeconfig context to use' },
      namespace: { alias: 'n', type: 'string', describe: "Namespace of the builder (default: the context's namespace)" },
      builder: { type: 'string', default: 'buildkit', describe: 'Name of the builder (created on first use)' },
    })
    .group(['kubeconfig', 'context', 'namespace', 'builder'], 'Cluster:');
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
