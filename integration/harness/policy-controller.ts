// sigstore's policy-controller in the cluster of useCluster(), for admission tests:
//
//   const cluster = useCluster();
//   const policyController = usePolicyController(cluster, { sigstore });   // sigstore: optional
//
// On the local cluster: reused when it already runs there (hack/local-stack up --policy-controller),
// else deployed for the file (hack/lib/policy-controller.ts) and removed afterwards. With
// TEST_KUBECONFIG it must be installed already. With a Sigstore, a TrustRoot of the file's own is made
// from its trusted root, and deleted afterwards like every policy the file made.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { clusterNodes, readCluster } from '../../hack/lib/cluster/index.ts';
import { applyTrustRoot, deployPolicyController, policyControllerReady, removePolicyController } from '../../hack/lib/policy-controller.ts';
import type { SigstoreServices } from '../../hack/lib/sigstore.ts';
import { LOCAL_CLUSTER_DIR, type TestCluster } from './cluster.ts';
import type { Handle } from './index.ts';

export interface PolicyController {
  /** The TrustRoot made from the file's Sigstore (for trustRootRef), when one was given. */
  readonly trustRoot?: string;
  /** How long deploying it took until its webhooks answered; undefined when it was already there. */
  readonly readyMs?: number;
}

export function usePolicyController(cluster: Handle<TestCluster>, options: { sigstore?: Handle<SigstoreServices> } = {}): Handle<PolicyController> {
  let value: PolicyController | undefined;
  let deployedHere = false;
  beforeAll(async () => {
    const { kubeconfig, local } = cluster();
    let readyMs: number | undefined;
    if (!(await policyControllerReady(kubeconfig))) {
      const state = local ? readCluster(LOCAL_CLUSTER_DIR) : undefined;
      if (!state) throw new Error('policy-controller does not answer in the TEST_KUBECONFIG cluster; install it there (namespace cosign-system) first');
      deployedHere = true;
      readyMs = await deployPolicyController({ kubeconfig, containerdSockets: clusterNodes(state).map((node) => node.containerdSocket), workDir: state.dir });
    }
    const trustRoot = options.sigstore ? `kb-test-${randomBytes(3).toString('hex')}` : undefined;
    if (trustRoot && options.sigstore) await applyTrustRoot(kubeconfig, trustRoot, options.sigstore().trustedRootPath);
    value = { ...(trustRoot ? { trustRoot } : {}), ...(readyMs === undefined ? {} : { readyMs }) };
  }, 300_000);
  afterAll(async () => {
    const { kubeconfig } = cluster();
    if (deployedHere) await removePolicyController(kubeconfig);
    else if (value?.trustRoot) await cluster().kubectl(['delete', 'trustroot', value.trustRoot, '--ignore-not-found']);
  }, 120_000);
  return () => {
    if (!value) throw new Error('policy-controller is not ready: use the handle inside a test');
    return value;
  };
}
