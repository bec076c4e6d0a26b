// Which cluster, user and namespace, decided exactly as kubectl decides them: --kubeconfig names one
// file (it must exist); otherwise $KUBECONFIG lists files (missing ones skipped) merged with "the
// first file to set a name wins", and the first current-context set wins; otherwise ~/.kube/config.
// --context picks a context (it must exist); --namespace wins over the context's namespace, which
// wins over "default". Inside a Pod with no kubeconfig, its service account is used, as kubectl does.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { KubectlBuildError, errorMessage } from '../errors/index.ts';
import { TimedKubeConfig } from './timed-config.ts';

export interface KubeTarget {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
  /** --request-timeout in milliseconds, 0 for none (parseRequestTimeout); none when not given. */
  readonly requestTimeoutMs?: number | undefined;
}

export interface KubeConnection {
  /** Each API request made with it is bounded by `requestTimeoutMs`. */
  readonly config: KubeConfig;
  /** How long one API request may take (0: no bound); the exec WebSocket's upgrade too, never its stream. */
  readonly requestTimeoutMs: number;
  readonly contextName: string;
  readonly namespace: string;
  /** For messages: `context "kind-dev", namespace "default"`. */
  readonly description: string;
}

/** The files kubectl would read, in its order of precedence. */
export function kubeconfigFiles(target: KubeTarget, env: NodeJS.ProcessEnv, home: string): string[] {
  if (target.kubeconfig) return [target.kubeconfig];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean);
  return [join(home, '.kube', 'config')];
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

function inClusterConnection(target: KubeTarget): KubeConnection {
  const requestTimeoutMs = target.requestTimeoutMs ?? 0;
  const config = new TimedKubeConfig(requestTimeoutMs);
  config.loadFromCluster();
  const namespace = target.namespace ?? (existsSync(join(SERVICE_ACCOUNT, 'namespace')) ? readFileSync(join(SERVICE_ACCOUNT, 'namespace'), 'utf8').trim() : 'default');
  return { config, requestTimeoutMs, contextName: 'in-cluster', namespace, description: `the in-cluster service account, namespace "${namespace}"` };
}

export function loadKubeConnection(target: KubeTarget, env: NodeJS.ProcessEnv, home: string): KubeConnection {
  const files = kubeconfigFiles(target, env, home);
  if (target.kubeconfig && !existsSync(target.kubeconfig)) {
    throw new KubectlBuildError('USAGE', `the kubeconfig file ${target.kubeconfig} does not exist`, { hint: 'check the --kubeconfig path' });
  }
  const present = files.filter((file) => existsSync(file));
  // No kubeconfig inside a Pod: its service account, as kubectl and client-go do (a CronJob's sweep).
  if (present.length === 0 && !target.kubeconfig && !env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST && existsSync(join(SERVICE_ACCOUNT, 'token'))) {
    return inClusterConnection(target);
  }
  if (present.length === 0) {
    throw new KubectlBuildError('USAGE', `no kubeconfig found (looked at ${files.join(', ')})`, {
      hint: 'point --kubeconfig or KUBECONFIG at your cluster\'s kubeconfig, or pass --builder-addr to use a BuildKit daemon directly',
    });
  }

  const merged = { clusters: new Map<string, Cluster>(), users: new Map<string, User>(), contexts: new Map<string, Context>(), currentContext: '' };
  for (const file of present) {
    const one = new KubeConfig();
    try {
      // loadFromFile makes certificate and key paths absolute against the file's folder, as kubectl does.
      one.loadFromFile(file);
    } catch (error) {
      throw new KubectlBuildError('USAGE', `cannot read the kubeconfig ${file}: ${errorMessage(error)}`, { hint: 'fix or remove that file', cause: error });
    }
    for (const cluster of one.getClusters()) if (!merged.clusters.has(cluster.name)) merged.clusters.set(cluster.name, cluster);
    for (const user of one.getUsers()) if (!merged.users.has(user.name)) merged.users.set(user.name, user);
    for (const context of one.getContexts()) if (!merged.contexts.has(context.name)) merged.contexts.set(context.name, context);
    if (!merged.currentContext && one.getCurrentContext()) merged.currentContext = one.getCurrentContext();
  }

  const contextName = target.context ?? merged.currentContext;
  if (!contextName) {
    throw new KubectlBuildError('USAGE', 'the kubeconfig sets no current context', {
      hint: `pick one with --context (known: ${[...merged.contexts.keys()].join(', ') || 'none'})`,
    });
  }
  const context = merged.contexts.get(contextName);
  if (!context) {
    throw new KubectlBuildError('USAGE', `the context "${contextName}" does not exist in ${present.join(', ')}`, {
      hint: `use one of: ${[...merged.contexts.keys()].join(', ') || '(none)'}`,
    });
  }
  if (!merged.clusters.has(context.cluster)) {
    throw new KubectlBuildError('USAGE', `the context "${contextName}" names the cluster "${context.cluster}", which no kubeconfig defines`, {
      hint: 'fix the kubeconfig, or pick another context with --context',
    });
  }

  const requestTimeoutMs = target.requestTimeoutMs ?? 0;
  const config = new TimedKubeConfig(requestTimeoutMs);
  config.loadFromOptions({
    clusters: [...merged.clusters.values()],
    users: [...merged.users.values()],
    contexts: [...merged.contexts.values()],
    currentContext: contextName,
  });
  const namespace = target.namespace ?? context.namespace ?? 'default';
  return { config, requestTimeoutMs, contextName, namespace, description: `context "${contextName}", namespace "${namespace}"` };
}
