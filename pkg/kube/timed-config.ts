// The Kubernetes client's configuration with --request-timeout applied to each API request.
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A KubeConfig whose API requests each give up after `timeoutMs` (0: never): the signal is set when
 * the kubeconfig's credentials are applied to a request, which client-node does once per request,
 * after an exec credential plugin ran, so a slow login is not counted against the API server.
 */
export class TimedKubeConfig extends KubeConfig {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super();
    this.timeoutMs = timeoutMs;
  }

  override async applySecurityAuthentication(context: Parameters<KubeConfig['applySecurityAuthentication']>[0]): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (this.timeoutMs > 0) context.setSignal(AbortSignal.timeout(Math.ceil(this.timeoutMs)));
  }
}
