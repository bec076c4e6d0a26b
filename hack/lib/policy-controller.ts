// sigstore's policy-controller in the local cluster (hack/local-stack up --policy-controller, and
// usePolicyController() in the cluster suite): the pinned webhook from hack/tools.sh in an image made
// here and imported into the node, deployed from the manifests of the module's own config/ folder
// (read from Go's module cache, patched here: the image, no pulls, no TUF, webhook timeouts). No
// network at run time: the public TUF repository is never asked (-disable-tuf); a TrustRoot made
// from the local Sigstore's trusted root carries Fulcio's chain and the Rekor and CT log keys.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { policyControllerTrustRoot, readTrustMaterial } from '../../pkg/enforce/trust-material.ts';
import { importImage, policyControllerImage } from './cluster/images.ts';
import { cacheDir, tool } from './paths.ts';
import { waitUntil } from './process.ts';
import { readVersions } from './versions.ts';

const run = promisify(execFile);

export const POLICY_CONTROLLER = {
  namespace: 'cosign-system',
  deployment: 'webhook',
  /** The TrustRoot `hack/local-stack up --policy-controller` makes from its Sigstore. */
  trustRoot: 'kubectl-build-local',
  /** How long the API server waits for the webhook (upstream: 25 s); local checks take milliseconds. */
  timeoutSeconds: 10,
  /** Its validating webhook for Pods and their controllers, by name. */
  podWebhook: 'policy.sigstore.dev',
} as const;

type Manifest = { kind?: string; metadata?: { name?: string }; [key: string]: unknown };
type Container = { image?: string; imagePullPolicy?: string; args?: string[]; readinessProbe?: { initialDelaySeconds?: number }; livenessProbe?: { initialDelaySeconds?: number } };
type WebhookEntry = { failurePolicy?: string; timeoutSeconds?: number; rules?: unknown[]; clientConfig?: { caBundle?: string } };

/** The module's config/ folder, which hack/tools.sh links beside the binaries it built from it. */
export function policyControllerConfigDir(): string {
  const version = readVersions().POLICY_CONTROLLER_VERSION ?? 'unknown';
  return join(cacheDir(), 'tools', `policy-controller-${version}`, 'config');
}

/**
 * Upstream's manifests in upstream's order (100-namespace ... 501-webhook configurations, the config
 * maps, the Deployment), patched for a cluster without a registry or network: our image, never pulled,
 * -disable-tuf, a readiness probe that starts at once, a short grace period on stop (upstream's 300 s
 * lets a replica drain behind a load balancer; here it only holds up removal), and explicit
 * failurePolicy/timeoutSeconds on every webhook configuration.
 */
export function policyControllerManifests(configDir: string, image: string): Manifest[] {
  let files: string[];
  try {
    files = readdirSync(configDir).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml').sort();
  } catch {
    throw new Error(`policy-controller's manifests are not at ${configDir}; run hack/tools.sh install`);
  }
  const manifests = files.flatMap((name) =>
    parseAllDocuments(readFileSync(join(configDir, name), 'utf8'))
      .map((document) => document.toJS() as Manifest | null)
      .filter((manifest): manifest is Manifest => manifest !== null && typeof manifest === 'object'),
  );
  for (const manifest of manifests) {
    if (manifest.kind === 'Deployment' && manifest.metadata?.name === POLICY_CONTROLLER.deployment) {
      const spec = manifest.spec as { template: { spec: { containers: Container[]; terminationGracePeriodSeconds?: number } } };
      spec.template.spec.terminationGracePeriodSeconds = 5;
      for (const container of spec.template.spec.containers) {
        container.image = image;
        container.imagePullPolicy = 'Never';
        container.args = ['-disable-tuf'];
        for (const probe of [container.readinessProbe, container.livenessProbe]) if (probe) probe.initialDelaySeconds = 1;
      }
    }
    if (manifest.kind === 'ValidatingWebhookConfiguration' || manifest.kind === 'MutatingWebhookConfiguration') {
      for (const webhook of manifest.webhooks as WebhookEntry[]) {
        webhook.failurePolicy = 'Fail';
        webhook.timeoutSeconds = POLICY_CONTROLLER.timeoutSeconds;
      }
    }
  }
  return manifests;
}

async function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const child = run(tool('kubectl'), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  child.child.stdin?.end(input ?? '');
  try {
    return (await child).stdout;
  } catch (error) {
    throw new Error(`kubectl ${args.slice(0, 2).join(' ')}: ${((error as { stderr?: string }).stderr ?? String(error)).trim()}`, { cause: error });
  }
}

const list = (items: readonly Manifest[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

/** A ClusterImagePolicy that the policy webhook must accept, or refuse when `key` is not a key. */
function probePolicy(key: string): Manifest {
  return {
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: 'kubectl-build-readiness-probe' },
    spec: { images: [{ glob: 'kubectl-build.invalid/**' }], authorities: [{ key: { data: key } }] },
  };
}
const PROBE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Whether policy-controller answers: its Deployment is available and its webhooks judge a dry-run policy. */
export async function policyControllerReady(kubeconfig: string): Promise<boolean> {
  try {
    const available = await kubectl(kubeconfig, ['-n', POLICY_CONTROLLER.namespace, 'get', 'deployment', POLICY_CONTROLLER.deployment, '-o', 'jsonpath={.status.availableReplicas}']);
    if (Number(available) < 1) return false;
    // Its controllers fill in the webhook configurations (rules, CA bundle) once they run.
    const configuration = JSON.parse(await kubectl(kubeconfig, ['get', 'validatingwebhookconfiguration', POLICY_CONTROLLER.podWebhook, '-o', 'json'])) as { webhooks?: WebhookEntry[] };
    if (!configuration.webhooks?.every((webhook) => (webhook.rules?.length ?? 0) > 0 && webhook.clientConfig?.caBundle)) return false;
    await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(probePolicy(PROBE_KEY)));
    // An accepted dry run could mean nobody looked: a policy with a broken key must be refused.
    const refused = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(probePolicy('not a key'))).then(() => false, (error: Error) => /denied the request/.test(error.message));
    return refused;
  } catch {
    return false;
  }
}

export interface DeployOptions {
  readonly kubeconfig: string;
  /** Every node's containerd (the image is imported into each: the Pod may land on any) and a folder for the import. */
  readonly containerdSockets: readonly string[];
  readonly workDir: string;
  readonly log?: (message: string) => void;
  readonly timeoutMs?: number;
}

/** Imports the image, applies the manifests and waits until the webhooks answer; returns how long that took. */
export async function deployPolicyController(options: DeployOptions): Promise<number> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const image = policyControllerImage();
  log(`policy-controller: importing ${image.reference}`);
  for (const socket of options.containerdSockets) importImage(image, socket, options.workDir);
  // A removal moments ago may still be emptying the namespace.
  await waitUntil(async () => ((await namespaceTerminating(options.kubeconfig)) ? undefined : true), {
    what: `the namespace ${POLICY_CONTROLLER.namespace} of an earlier policy-controller to be gone`,
    timeoutMs: 120_000,
    intervalMs: 1000,
  });
  log('policy-controller: applying its manifests (namespace cosign-system, CRDs, RBAC, webhooks, Deployment)');
  await kubectl(options.kubeconfig, ['apply', '-f', '-'], list(policyControllerManifests(policyControllerConfigDir(), image.reference)));
  await waitUntil(async () => ((await policyControllerReady(options.kubeconfig)) ? true : undefined), {
    what: 'policy-controller to be available and to judge a dry-run ClusterImagePolicy',
    timeoutMs: options.timeoutMs ?? 240_000,
    intervalMs: 1000,
  }).catch(async (error: Error) => {
    const pods = await kubectl(options.kubeconfig, ['-n', POLICY_CONTROLLER.namespace, 'get', 'pods', '-o', 'wide']).catch(() => '');
    const logs = await kubectl(options.kubeconfig, ['-n', POLICY_CONTROLLER.namespace, 'logs', `deployment/${POLICY_CONTROLLER.deployment}`, '--tail=20']).catch(() => '');
    throw new Error(`${error.message}\n${pods}${logs}`, { cause: error });
  });
  const elapsed = Date.now() - started;
  log(`policy-controller: ready in ${(elapsed / 1000).toFixed(1)}s`);
  return elapsed;
}

async function namespaceTerminating(kubeconfig: string): Promise<boolean> {
  return (await kubectl(kubeconfig, ['get', 'namespace', POLICY_CONTROLLER.namespace, '--ignore-not-found', '-o', 'jsonpath={.status.phase}'])) === 'Terminating';
}

/** Creates or updates the TrustRoot `name` from a trusted_root.json, and waits until policy-controller took it in. */
export async function applyTrustRoot(kubeconfig: string, name: string, trustedRootPath: string): Promise<void> {
  const material = readTrustMaterial(JSON.parse(readFileSync(trustedRootPath, 'utf8')), trustedRootPath);
  await kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(policyControllerTrustRoot(name, material)));
  await waitUntil(
    async () => {
      const ready = await kubectl(kubeconfig, ['get', 'trustroot', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return ready === 'True' ? true : undefined;
    },
    { what: `the TrustRoot ${name} to be Ready`, timeoutMs: 60_000, intervalMs: 500 },
  );
}

/**
 * Removes policy-controller: its policies and trust roots first (their finalizers need the running
 * controller), then the webhook configurations (nothing is refused any more), then the rest.
 */
export async function removePolicyController(kubeconfig: string): Promise<void> {
  await kubectl(kubeconfig, ['delete', 'clusterimagepolicies.policy.sigstore.dev,trustroots.policy.sigstore.dev', '--all', '--ignore-not-found', '--timeout=60s']).catch(() => '');
  const manifests = policyControllerManifests(policyControllerConfigDir(), 'unused');
  const webhooks = manifests.filter((manifest) => manifest.kind?.endsWith('WebhookConfiguration'));
  const rest = manifests.filter((manifest) => !webhooks.includes(manifest)).reverse();
  for (const items of [webhooks, rest]) await kubectl(kubeconfig, ['delete', '--ignore-not-found', '--wait=false', '-f', '-'], list(items));
}
