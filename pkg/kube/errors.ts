// Kubernetes API failures turned into one sentence that says what is missing and what to do:
// unreachable cluster, expired credentials, RBAC refusals (naming the verb and resource), absent
// namespace.
import { KubectlBuildError, errorMessage } from '../errors/index.ts';
import type { KubeConnection } from './config.ts';
import { isRequestTimeout, timeoutWords } from './request-timeout.ts';

interface ApiFailure {
  readonly code?: number;
  readonly body?: unknown;
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.trim() || undefined;
    }
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return undefined;
}

/** Whether `error` is the API's 404 (for "does it exist" reads). */
export function isNotFound(error: unknown): boolean {
  return (error as ApiFailure | undefined)?.code === 404;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/** The first code of `codes` along the error's chain of causes. */
export function codeIn(error: unknown, codes: ReadonlySet<string>): string | undefined {
  for (let current: unknown = error; current && typeof current === 'object'; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && codes.has(code)) return code;
  }
  return undefined;
}

/**
 * fetch's (undici's) own bounds: a connection whose TLS handshake never completes fails after 10 s,
 * an API server that never sends its answer's headers after 300 s. The server took the connection
 * and said nothing: a blackholing network, or a server that hangs.
 */
const SILENT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The connection was cut after it was set up, before the whole answer came: undici's "other side
 * closed" (a FIN), or a reset (an RST: what a peer that closes with our bytes still unread sends).
 * Which of the two a cut becomes is timing, so both are said alike.
 */
const CUT_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/** A request that --request-timeout gave up on: the API server, how long, and what it was asked. */
export function requestTimeoutError(error: unknown, connection: KubeConnection, action: string): KubectlBuildError {
  const server = connection.config.getCurrentCluster()?.server ?? 'the cluster';
  return new KubectlBuildError('UNAVAILABLE', `the Kubernetes API at ${server} did not answer within ${timeoutWords(connection.requestTimeoutMs)} when asked to ${action}`, {
    hint: 'check that the cluster is running and the network to it; on a slow API server, raise --request-timeout (0 waits without a bound)',
    cause: error,
  });
}

/**
 * `action` says what we were doing, for the sentence: "create the Deployment buildkit".
 * `permission` names the RBAC verb and resource it needs: "create deployments.apps".
 */
export function kubeError(error: unknown, connection: KubeConnection, action: string, permission?: string): KubectlBuildError {
  if (error instanceof KubectlBuildError) return error;
  const code = (error as ApiFailure | undefined)?.code;
  const detail = statusMessage((error as ApiFailure | undefined)?.body);
  const where = connection.description;
  const server = connection.config.getCurrentCluster()?.server ?? 'the cluster';
  if (isRequestTimeout(error) && connection.requestTimeoutMs > 0) return requestTimeoutError(error, connection, action);
  const network = codeIn(error, NETWORK_CODES);
  if (network) {
    return new KubectlBuildError('UNAVAILABLE', `cannot reach the Kubernetes API at ${server} (${network}) to ${action}`, {
      hint: 'check that the cluster is running and that --context / KUBECONFIG point at it',
      cause: error,
    });
  }
  if (codeIn(error, SILENT_CODES)) {
    return new KubectlBuildError('UNAVAILABLE', `the Kubernetes API at ${server} did not answer when asked to ${action}`, {
      hint: 'check that the cluster is running and the network to it (a firewall that drops packets looks like this)',
      cause: error,
    });
  }
  if (codeIn(error, CUT_CODES)) {
    return new KubectlBuildError('UNAVAILABLE', `the connection to the Kubernetes API at ${server} was cut before it answered when asked to ${action}`, {
      hint: 'check the network to the API server (a proxy or load balancer in between may be closing connections), then try again',
      cause: error,
    });
  }
  if (code !== undefined && code >= 500) {
    return new KubectlBuildError('UNAVAILABLE', `the Kubernetes API at ${server} failed when asked to ${action} (HTTP ${code}${detail ? `: ${detail}` : ''})`, {
      hint: 'the API server is unwell or overloaded: try again in a moment; kubectl get --raw \'/readyz?verbose\' says which of its checks fail',
      cause: error,
    });
  }
  if (code === 401) {
    return new KubectlBuildError('UNAUTHENTICATED', `the Kubernetes API at ${server} did not accept your credentials (${where})`, {
      hint: 'log in again or refresh the credentials in your kubeconfig',
      cause: error,
    });
  }
  if (code === 403) {
    return new KubectlBuildError('FORBIDDEN', `you are not allowed to ${permission ?? action} in ${where}${detail ? `: ${detail}` : ''}`, {
      hint: `ask your cluster admin for a Role that allows ${permission ?? 'it'} in that namespace, or use --namespace for one where you have it`,
      cause: error,
    });
  }
  if (code === 404 && detail?.includes('namespaces')) {
    return new KubectlBuildError('NOT_FOUND', `the namespace "${connection.namespace}" does not exist (${where})`, {
      hint: 'create it (kubectl create namespace) or pick another with --namespace',
      cause: error,
    });
  }
  return new KubectlBuildError('UNAVAILABLE', `could not ${action} (${where}): ${detail ?? errorMessage(error)}`, {
    hint: 'check the cluster with kubectl, then try again',
    cause: error,
  });
}
