// Which BuildKit daemon a command talks to: the one --builder-addr or BUILDKIT_HOST names, directly;
// otherwise the cluster builder named by --builder (created on first use), through a pods/exec
// tunnel. The Kubernetes client loads only in the second case.
import { parseBuilderAddress, type BuilderAddress } from '../pkg/buildkit/address.ts';
import type { KubectlBuildError } from '../pkg/errors/index.ts';
import type { WorkerKind } from '../pkg/kube/builder-spec.ts';
import type { KubeArgv, PlatformBuilder } from './cluster-builders.ts';

export interface BuilderArgv extends KubeArgv {
  'builder-addr'?: string;
}

export interface BuilderConnection {
  readonly address: BuilderAddress;
  /** Rejects when a cluster tunnel breaks (see pkg/kube/exec-tunnel.ts); never for a direct address. */
  readonly failure?: Promise<never>;
  /** The cluster builder's worker, when the daemon is one (what --load needs to know). */
  readonly worker?: WorkerKind;
  /** The cluster builder's pod and node the build runs on, for messages. */
  readonly where?: string;
  /** After a failure: a clearer error, when the cause was the builder pod going away. */
  explain(error: unknown): Promise<KubectlBuildError | undefined>;
  /** In the cluster: the pod for one platform of a multi-platform build (native when there is one). */
  forPlatform?(platform: string): Promise<PlatformBuilder>;
  close(): Promise<void>;
}

export interface ConnectBuilderOptions {
  readonly contextKey: string;
  /** A single --platform: in the cluster, a pod that runs it natively when there is one. */
  readonly platform?: string;
  /** Create the cluster builder when it does not exist (builds do; version only looks). */
  readonly createIfMissing?: boolean;
  readonly onProgress?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export function directAddress(argv: BuilderArgv, env: NodeJS.ProcessEnv): string | undefined {
  return argv['builder-addr'] ?? env.BUILDKIT_HOST;
}

export async function connectBuilder(argv: BuilderArgv, env: NodeJS.ProcessEnv, options: ConnectBuilderOptions): Promise<BuilderConnection> {
  const direct = directAddress(argv, env);
  if (direct) {
    return { address: parseBuilderAddress(direct), explain: async () => undefined, close: async () => {} };
  }
  const { connectClusterBuilder } = await import('./cluster-builders.ts');
  const cluster = await connectClusterBuilder(argv, options);
  return {
    address: cluster.address,
    failure: cluster.failure,
    worker: cluster.builder.worker,
    where: `pod ${cluster.pod} on node ${cluster.node}`,
    explain: (error) => cluster.explain(error),
    forPlatform: (platform) => cluster.forPlatform(platform),
    close: () => cluster.close(),
  };
}
