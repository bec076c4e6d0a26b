// --registry-secret NAME: registry credentials from a kubernetes.io/dockerconfigjson Secret, read by
// the CLI and answered through the build session's auth service, so they are never mounted into
// the builder pod (which other users of the builder could read).
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import type { CredentialSource } from '../buildkit/session/auth.ts';
import { KubectlBuildError } from '../errors/index.ts';
import { configFileCredentials, type DockerConfigFile } from '../registry/docker-config.ts';
import type { KubeConnection } from './config.ts';
import { isNotFound, kubeError } from './errors.ts';
import { readAgain } from './read-again.ts';

/** A Secret, or `missing()` as the error when there is none; API failures in one sentence. */
async function readSecret(connection: KubeConnection, namespace: string, name: string, missing: () => KubectlBuildError): Promise<V1Secret> {
  try {
    const api = connection.config.makeApiClient(CoreV1Api);
    return await readAgain(() => api.readNamespacedSecret({ name, namespace }));
  } catch (error) {
    if (isNotFound(error)) throw missing();
    const where = { ...connection, description: `context "${connection.contextName}", namespace "${namespace}"` };
    throw kubeError(error, where, `read the Secret ${namespace}/${name}`, 'get secrets');
  }
}

export async function registrySecretCredentials(connection: KubeConnection, name: string): Promise<CredentialSource> {
  const secret = await readSecret(connection, connection.namespace, name, () =>
    new KubectlBuildError('NOT_FOUND', `the registry secret "${name}" does not exist in ${connection.description}`, {
      hint: `create it with kubectl create secret docker-registry ${name} --docker-server=... --docker-username=... --docker-password=...`,
    }),
  );
  const encoded = secret.data?.['.dockerconfigjson'] ?? secret.data?.['.dockercfg'];
  if (secret.type !== 'kubernetes.io/dockerconfigjson' || !encoded) {
    throw new KubectlBuildError('USAGE', `the secret "${name}" is of type ${secret.type ?? 'unknown'}, not kubernetes.io/dockerconfigjson`, {
      hint: 'make one with kubectl create secret docker-registry',
    });
  }
  let config: DockerConfigFile;
  try {
    config = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as DockerConfigFile;
  } catch {
    throw new KubectlBuildError('USAGE', `the secret "${name}" does not hold valid docker config JSON`, { hint: 'recreate it with kubectl create secret docker-registry' });
  }
  return configFileCredentials(config);
}

/** A Secret's data, decoded (k8s:// cosign keys); `namespace` defaults to the connection's. */
export async function readSecretData(connection: KubeConnection, namespace: string | undefined, name: string): Promise<Record<string, Buffer>> {
  const where = namespace ?? connection.namespace;
  const secret = await readSecret(connection, where, name, () =>
    new KubectlBuildError('NOT_FOUND', `the Secret ${where}/${name} does not exist (context "${connection.contextName}")`, {
      hint: `make a key pair there with cosign generate-key-pair k8s://${where}/${name}`,
    }),
  );
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
}
