// k8s://[NAMESPACE/]SECRET: the Secret `cosign generate-key-pair k8s://...` writes (cosign.key,
// cosign.password, cosign.pub). One reader for signing (the private key) and verifying (the public).
import { KubectlBuildError } from '../errors/index.ts';

export type SecretReader = (namespace: string | undefined, name: string) => Promise<Readonly<Record<string, Buffer>>>;

/** The Secret's data and the PEM under `entry`; one sentence when the URI, the cluster or the entry is wrong. */
export async function readK8sKey(
  uri: string,
  entry: 'cosign.key' | 'cosign.pub',
  kubeSecret: SecretReader | undefined,
  noClusterHint: string,
): Promise<{ pem: string; data: Readonly<Record<string, Buffer>> }> {
  const parts = uri.slice('k8s://'.length).split('/');
  if (parts.length > 2 || parts.some((part) => !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(part))) {
    throw new KubectlBuildError('USAGE', `"${uri}" is not a k8s:// key`, { hint: 'write k8s://NAMESPACE/SECRET (or k8s://SECRET for the current namespace)' });
  }
  const [namespace, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (!kubeSecret || !name) throw new KubectlBuildError('USAGE', 'k8s:// keys need a cluster', { hint: noClusterHint });
  const data = await kubeSecret(namespace, name);
  const pem = data[entry]?.toString('utf8');
  if (!pem) {
    throw new KubectlBuildError('NOT_FOUND', `the Secret ${namespace ? `${namespace}/` : ''}${name} holds no ${entry}`, {
      hint: `make the key pair with cosign generate-key-pair ${uri}`,
    });
  }
  return { pem, data };
}
