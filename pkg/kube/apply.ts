// Putting exported policy objects into a cluster: first a check that the engine they are for is
// installed there at an API version that takes them (its CRDs), then a server-side apply of each, so
// a second run updates what the first made. Each failure is one sentence: the engine missing, a CRD
// at another version, an RBAC refusal naming the verb and resource.
import { ApiextensionsV1Api, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { KubectlBuildError } from '../errors/index.ts';
import type { KubeConnection } from './config.ts';
import { isNotFound, kubeError } from './errors.ts';
import { readAgain } from './read-again.ts';

export interface EngineApi {
  /** The engine, as users name it: "policy-controller". */
  readonly engine: string;
  /** How to install it, for the hint. */
  readonly install: string;
  /** apiVersion of the objects we write: "policy.sigstore.dev/v1beta1". */
  readonly apiVersion: string;
  readonly kind: string;
  /** The CRD's name: "clusterimagepolicies.policy.sigstore.dev". */
  readonly crd: string;
}

/** Fails in one sentence unless every kind the objects use is served by the cluster at their version. */
export async function requireEngine(connection: KubeConnection, apis: readonly EngineApi[]): Promise<void> {
  const extensions = connection.config.makeApiClient(ApiextensionsV1Api);
  for (const api of apis) {
    let served: string[];
    try {
      const crd = await readAgain(() => extensions.readCustomResourceDefinition({ name: api.crd }));
      served = crd.spec.versions.filter((version) => version.served).map((version) => version.name);
    } catch (error) {
      if (isNotFound(error)) {
        throw new KubectlBuildError('NOT_FOUND', `${api.engine} is not installed in ${connection.description}: the cluster has no ${api.kind} kind (${api.crd})`, {
          hint: `${api.install}, or leave out --apply and keep the objects for later`,
        });
      }
      // Not allowed to read CRDs: the apply itself will say what it may not do.
      if ((error as { code?: number }).code === 403) continue;
      throw kubeError(error, connection, `read the ${api.crd} CustomResourceDefinition`, 'get customresourcedefinitions');
    }
    const version = api.apiVersion.split('/')[1] ?? '';
    if (!served.includes(version)) {
      throw new KubectlBuildError('USAGE', `the cluster's ${api.kind} (${api.crd}) serves ${served.join(', ') || 'no version'}, not the ${version} this export writes`, {
        hint: `upgrade ${api.engine} to a release that serves ${api.apiVersion}`,
      });
    }
  }
}

/** Server-side apply of each object (field manager kubectl-trust); returns "kind/name" of each. */
export async function applyObjects(connection: KubeConnection, objects: readonly Record<string, unknown>[]): Promise<string[]> {
  const client = KubernetesObjectApi.makeApiClient(connection.config);
  const applied: string[] = [];
  for (const object of objects) {
    const spec = object as unknown as KubernetesObject;
    const name = `${spec.kind?.toLowerCase()}/${spec.metadata?.name}`;
    try {
      await client.patch(spec, undefined, undefined, 'kubectl-trust', true, PatchStrategy.ServerSideApply);
    } catch (error) {
      throw kubeError(error, connection, `apply ${name}`, `patch ${spec.kind?.toLowerCase()}s.${(spec.apiVersion ?? '').split('/')[0]}`);
    }
    applied.push(name);
  }
  return applied;
}
