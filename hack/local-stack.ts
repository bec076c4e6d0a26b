// hack/local-stack up [--no-cluster|--policy-controller]|down|status: the services a user or the demo
// needs: the local Kubernetes cluster (hack/cluster), a registry with htpasswd auth (seeded with a
// busybox base image) that the cluster's pods reach on the node's bridge address, a buildkitd as root
// with the OCI worker on this machine, trusting that registry, and a private Sigstore (OIDC issuer,
// Fulcio, Rekor: hack/lib/sigstore.ts) on 127.0.0.1; with --policy-controller also sigstore's
// policy-controller in the cluster (hack/lib/policy-controller.ts), trusting that Sigstore through a
// TrustRoot. `up` prints export lines on stdout (eval
// them): KUBECONFIG for the cluster, and BUILDKIT_HOST only with --no-cluster (otherwise kubectl
// build goes through the cluster; the local daemon is LOCAL_BUILDKIT_HOST). Progress and errors go
// to stderr. State, logs and the registry password live in $KUBECTL_BUILD_CACHE/local-stack.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBuildkitd, listWorkers } from './lib/buildkitd.ts';
import { writeClientFiles } from './lib/client-files.ts';
import { httpGet } from './lib/http.ts';
import { cacheDir } from './lib/paths.ts';
import { commandOf, isAlive, isOurProcess, stopProcess } from './lib/process.ts';
import { randomPassword, startRegistry } from './lib/registry.ts';
import { seedBaseImage } from './lib/seed.ts';
import { clusterNodes, clusterRunning, readCluster, startCluster, stopCluster, trustPlainHttpRegistry } from './lib/cluster/index.ts';
import { applyTrustRoot, deployPolicyController, POLICY_CONTROLLER, policyControllerReady } from './lib/policy-controller.ts';
import { startSigstore } from './lib/sigstore.ts';
import { exportLines, type ServiceState, type StackState } from './lib/stack-exports.ts';

const STACK_DIR = process.env.KUBECTL_BUILD_STACK_DIR ?? join(cacheDir(), 'local-stack');
const STATE_FILE = join(STACK_DIR, 'state.json');
const REGISTRY_USER = 'kubectl-build';
const CLUSTER_DIR = process.env.KUBECTL_BUILD_CLUSTER_DIR ?? join(cacheDir(), 'cluster');

function say(message: string): void {
  process.stderr.write(`[local-stack] ${message}\n`);
}

function readState(): StackState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as StackState;
}

function services(state: StackState): Array<[string, ServiceState]> {
  return [
    ['buildkitd', state.buildkitd],
    ['registry', state.registry],
    // Stopped in reverse order of start: Fulcio and Rekor before Trillian before MariaDB.
    ...[...(state.sigstore?.processes ?? [])].reverse().map((service): [string, ServiceState] => [service.name, service]),
  ];
}

function running(service: ServiceState): boolean {
  return isAlive(service.pid) && isOurProcess(service.pid, service.command);
}

async function up(withCluster: boolean, withPolicyController: boolean): Promise<void> {
  const clusterWasRunning = clusterRunning(CLUSTER_DIR);
  try {
    await startStack(withCluster, withPolicyController);
  } catch (error) {
    // No half-started stack: a cluster started for it goes too (the other services stop where they fail).
    if (withCluster && !clusterWasRunning && clusterRunning(CLUSTER_DIR)) await stopCluster(CLUSTER_DIR, (message) => say(`cluster: ${message}`));
    throw error;
  }
}

/**
 * policy-controller in the stack's cluster (deployed unless it already answers there), with the
 * TrustRoot of the stack's Sigstore, made again on each start since the Sigstore's keys are new.
 */
async function startPolicyController(state: StackState): Promise<StackState> {
  const cluster = readCluster(CLUSTER_DIR);
  if (!state.cluster || !cluster || !state.sigstore) throw new Error('policy-controller needs the cluster and the Sigstore of the stack');
  if (!(await policyControllerReady(cluster.kubeconfig))) {
    say('deploying policy-controller (--policy-controller): its image, CRDs, RBAC and webhooks, in namespace cosign-system');
    await deployPolicyController({ kubeconfig: cluster.kubeconfig, containerdSockets: clusterNodes(cluster).map((node) => node.containerdSocket), workDir: cluster.dir, log: say });
  }
  say(`policy-controller: TrustRoot ${POLICY_CONTROLLER.trustRoot} from ${state.sigstore.trustedRoot}`);
  await applyTrustRoot(cluster.kubeconfig, POLICY_CONTROLLER.trustRoot, state.sigstore.trustedRoot);
  const final = { ...state, policyController: { trustRoot: POLICY_CONTROLLER.trustRoot } };
  writeFileSync(STATE_FILE, JSON.stringify(final, null, 2));
  return final;
}

/** The running cluster's kube-apiserver, by PID: what tells one start of the cluster from the next. */
function apiServerPid(): number | undefined {
  return readCluster(CLUSTER_DIR)?.processes.find((process) => process.name === 'kube-apiserver')?.pid;
}

async function startStack(withCluster: boolean, withPolicyController: boolean): Promise<void> {
  const existing = readState();
  // A cluster restarted under the stack (hack/cluster down/up) lost what the stack put in it (the
  // registry's containerd settings, policy-controller): the stack is then set up again.
  const sameCluster = !existing?.cluster || (clusterRunning(CLUSTER_DIR) && existing.cluster.apiServerPid === apiServerPid());
  const healthy = existing?.sigstore && services(existing).every(([, service]) => running(service)) && sameCluster;
  if (healthy && Boolean(existing.cluster) === withCluster) {
    say('already up');
    const state = withPolicyController && !existing.policyController ? await startPolicyController(existing) : existing;
    process.stdout.write(`${exportLines(state)}\n`);
    return;
  }
  if (existing) await down();

  mkdirSync(STACK_DIR, { recursive: true, mode: 0o700 });
  let cluster = withCluster ? readCluster(CLUSTER_DIR) : undefined;
  if (withCluster && !clusterRunning(CLUSTER_DIR)) {
    say('starting the local Kubernetes cluster (hack/cluster; --no-cluster skips it)');
    cluster = await startCluster({ dir: CLUSTER_DIR, detached: true, log: (message) => say(`cluster: ${message}`) });
  }
  const password = randomPassword();
  const passwordFile = join(STACK_DIR, 'registry-password');
  writeFileSync(passwordFile, password, { mode: 0o600 });

  say('starting the registry (distribution, htpasswd auth)');
  const registry = await startRegistry({
    kind: 'distribution',
    dir: join(STACK_DIR, 'registry'),
    auth: { username: REGISTRY_USER, password },
    detached: true,
    // Pods reach the node on its bridge address; this machine does too.
    ...(cluster ? { listenAddress: cluster.nodeIp } : {}),
  });
  let clusterState: StackState['cluster'];
  if (cluster) {
    trustPlainHttpRegistry(cluster, registry.host);
    const buildkitdConfig = join(STACK_DIR, 'buildkitd-cluster.toml');
    writeFileSync(buildkitdConfig, `# For builders in the local cluster: the local stack's registry speaks plain HTTP.\n[registry."${registry.host}"]\n  http = true\n`);
    clusterState = { kubeconfig: cluster.kubeconfig, buildkitImage: cluster.images.buildkit, buildkitdConfig, apiServerPid: apiServerPid() };
  }
  const files = writeClientFiles(STACK_DIR, [registry]);
  say(`registry ready at ${registry.url}; starting buildkitd (OCI worker, runc)`);
  let buildkitd;
  try {
    buildkitd = await startBuildkitd({
      dir: join(STACK_DIR, 'buildkitd'),
      registries: [{ host: registry.host, plainHttp: true }],
      detached: true,
    });
  } catch (error) {
    await stopProcess(registry.process);
    throw error;
  }
  say('starting the private Sigstore (OIDC issuer, Fulcio with a CT log, Rekor on Trillian + MariaDB)');
  const sigstoreProcesses: Array<ServiceState & { name: string }> = [];
  let sigstore;
  try {
    // Its CA is ephemeral and its logs are new each time: nothing of an earlier run is kept.
    rmSync(join(STACK_DIR, 'sigstore'), { recursive: true, force: true });
    sigstore = await startSigstore(join(STACK_DIR, 'sigstore'), (service) => sigstoreProcesses.push({ name: service.name, pid: service.pid, command: commandOf(service.pid), logFile: service.logFile }), { detached: true });
  } catch (error) {
    for (const service of [...sigstoreProcesses].reverse()) await stopProcess(service);
    await stopProcess(buildkitd.process);
    await stopProcess(registry.process);
    throw error;
  }
  const state: StackState = {
    registry: {
      pid: registry.process.pid,
      command: 'docker-registry',
      logFile: registry.process.logFile,
      host: registry.host,
      username: REGISTRY_USER,
      passwordFile,
    },
    buildkitd: { pid: buildkitd.process.pid, command: 'buildkitd', logFile: buildkitd.process.logFile, address: buildkitd.address },
    dockerConfigDir: files.dockerConfigDir,
    baseImage: '',
    ...(clusterState ? { cluster: clusterState } : {}),
    sigstore: {
      processes: sigstoreProcesses,
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
      issuerUrl: sigstore.issuerUrl,
      trustedRoot: sigstore.trustedRootPath,
      identity: sigstore.identity,
    },
  };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  say('seeding the base image');
  const baseImage = await seedBaseImage(registry, files);
  let final: StackState = { ...state, baseImage };
  writeFileSync(STATE_FILE, JSON.stringify(final, null, 2));
  if (withPolicyController) final = await startPolicyController(final);
  say(`up: ${cluster ? `cluster (KUBECONFIG ${cluster.kubeconfig}), ` : ''}${final.policyController ? 'policy-controller, ' : ''}buildkitd at ${buildkitd.address}, registry at ${registry.host}, base image ${baseImage}; logs in ${STACK_DIR}`);
  process.stdout.write(`${exportLines(final)}\n`);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    say('not running');
    return;
  }
  for (const [name, service] of services(state)) {
    if (running(service)) {
      say(`stopping ${name} (pid ${service.pid})`);
      await stopProcess(service);
    }
  }
  if (state.cluster) await stopCluster(CLUSTER_DIR, (message) => say(`cluster: ${message}`));
  rmSync(STATE_FILE, { force: true });
  say(`down; logs kept in ${STACK_DIR}`);
}

async function status(): Promise<boolean> {
  const state = readState();
  if (!state) {
    say('not running (hack/local-stack up starts it)');
    return false;
  }
  let healthy = true;
  for (const [name, service] of services(state)) {
    const alive = running(service);
    healthy &&= alive;
    say(`${name.padEnd(22)} pid ${String(service.pid).padEnd(8)} ${alive ? 'running' : 'NOT RUNNING'}  log ${service.logFile}`);
  }
  if (state.cluster) {
    const up = clusterRunning(CLUSTER_DIR);
    healthy &&= up;
    say(`cluster    ${up ? 'running' : 'NOT RUNNING'} (hack/cluster status shows its processes)`);
    if (up && state.policyController) {
      const answers = await policyControllerReady(state.cluster.kubeconfig);
      healthy &&= answers;
      say(`policy-controller ${answers ? 'answering' : 'NOT ANSWERING'} (kubectl -n ${POLICY_CONTROLLER.namespace} get pods)`);
    }
  }
  if (!healthy) return false;
  const workers = await listWorkers(state.buildkitd.address).catch(() => []);
  const v2 = await httpGet(`http://${state.registry.host}/v2/`).catch(() => undefined);
  say(`buildkitd  ${state.buildkitd.address}: ${workers.length} worker(s)`);
  say(`registry   http://${state.registry.host}/v2/: ${v2 ? `HTTP ${v2.status}` : 'no answer'}`);
  return workers.length > 0 && v2 !== undefined;
}

const command = process.argv[2];
try {
  if (command === 'up') {
    const withCluster = !process.argv.includes('--no-cluster');
    const withPolicyController = process.argv.includes('--policy-controller');
    if (withPolicyController && !withCluster) throw new Error('--policy-controller runs in the cluster, which --no-cluster leaves out; drop one of them');
    await up(withCluster, withPolicyController);
  }
  else if (command === 'down') await down();
  else if (command === 'status') process.exitCode = (await status()) ? 0 : 1;
  else {
    process.stderr.write('usage: hack/local-stack up [--no-cluster|--policy-controller]|down|status\n');
    process.exitCode = 2;
  }
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
