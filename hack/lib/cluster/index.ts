// A real single-node Kubernetes as plain processes (no kind, no registry pulls): etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd, the kubelet and kube-proxy, on this machine,
// with images made and imported locally. Needs root (containerd, the kubelet, the bridge, iptables).
// Every process is started by us, logged under <dir>/logs, recorded in <dir>/state.json and stopped
// by PID.
// ../shared/design/LOCAL-CLUSTER.md has the facts behind each setting.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../net.ts';
import { tool } from '../paths.ts';
import { isAlive, isOurProcess, startProcess, stopProcess, waitUntil, type ServiceProcess } from '../process.ts';
import { createCertificate, createCertificateAuthority, type CertificateAuthority } from '../tls.ts';
import {
  CLUSTER_NETWORK,
  cniConfig,
  containerdConfig,
  kubeconfig,
  kubeletConfig,
  kubeProxyConfig,
  plainHttpRegistryHosts,
} from './config.ts';
import { removeClusterFirewallRules } from './firewall.ts';
import { buildkitImage, buildkitRootlessImage, busyboxImage, importImage, pauseImage } from './images.ts';

/** containerd at its usual paths: builders with the containerd worker mount them from the node. */
const CONTAINERD = { root: '/var/lib/containerd', state: '/run/containerd', socket: '/run/containerd/containerd.sock' };

export interface ClusterProcess {
  readonly name: string;
  readonly pid: number;
  readonly command: string;
  readonly logFile: string;
}

export interface Cluster {
  readonly dir: string;
  /** The admin kubeconfig (system:masters). */
  readonly kubeconfig: string;
  readonly server: string;
  readonly nodeName: string;
  /** Where pods reach the node (and services the tests start on it). */
  readonly nodeIp: string;
  readonly containerdSocket: string;
  readonly images: { readonly buildkit: string; readonly busybox: string; readonly pause: string };
  readonly processes: readonly ClusterProcess[];
}

export interface ClusterOptions {
  readonly dir: string;
  /** Keep running after this Node process exits (hack/cluster up); the test harness leaves it false. */
  readonly detached?: boolean;
  readonly log?: (message: string) => void;
}

const stateFile = (dir: string) => join(dir, 'state.json');

export function readCluster(dir: string): Cluster | undefined {
  if (!existsSync(stateFile(dir))) return undefined;
  return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as Cluster;
}

export function processRunning(service: ClusterProcess): boolean {
  return isAlive(service.pid) && isOurProcess(service.pid, service.command);
}

/** Whether the cluster recorded in `dir` runs, every process of it. */
export function clusterRunning(dir: string): boolean {
  const state = readCluster(dir);
  return state !== undefined && state.processes.length > 0 && state.processes.every(processRunning);
}

/** Starts the cluster and waits until the node is Ready and pods can be created. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const { dir } = options;
  if (process.getuid?.() !== 0) throw new Error('the local cluster needs root (containerd, the kubelet and a network bridge)');
  // One node per machine: it owns containerd's usual socket, the kb0 bridge and its address.
  if (ctrWorks()) {
    throw new Error(`a containerd already answers on ${CONTAINERD.socket} (another local cluster? hack/cluster down, or hack/local-stack down, stops ours)`);
  }
  for (const sub of ['pki', 'etcd', 'kubelet', 'cni', 'containerd-config']) rmSync(join(dir, sub), { recursive: true, force: true, maxRetries: 3 });
  const logs = join(dir, 'logs');
  for (const sub of ['pki', 'etcd', 'kubelet', 'cni/net.d', 'cni/ipam', 'containerd-config/hosts', 'logs']) {
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  }

  const processes: ClusterProcess[] = [];
  const start = (name: string, command: string, args: string[]): ServiceProcess => {
    const logFile = join(logs, `${name}.log`);
    writeFileSync(logFile, '');
    const service = startProcess({ name, command: tool(command), args, logFile, detached: options.detached });
    processes.push({ name, pid: service.pid, command, logFile });
    writeState();
    return service;
  };
  const cluster = (): Cluster => ({
    dir,
    kubeconfig: join(dir, 'admin.kubeconfig'),
    server: apiServer,
    nodeName: CLUSTER_NETWORK.nodeName,
    nodeIp: CLUSTER_NETWORK.nodeIp,
    containerdSocket: CONTAINERD.socket,
    images,
    processes,
  });
  const writeState = () => writeFileSync(stateFile(dir), JSON.stringify(cluster(), null, 2));

  let apiServer = '';
  let images = { buildkit: '', busybox: '', pause: '' };
  try {
    log('host: network bridge, forwarding, shared mounts');
    setUpHost();

    log('certificates');
    const pki = makePki(join(dir, 'pki'));

    log('etcd');
    const etcdClient = `http://127.0.0.1:${await freePort()}`;
    const etcdPeer = `http://127.0.0.1:${await freePort()}`;
    const etcd = start('etcd', 'etcd', [
      '--name', 'local', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', etcdClient, '--advertise-client-urls', etcdClient,
      '--listen-peer-urls', etcdPeer, '--initial-advertise-peer-urls', etcdPeer,
      '--initial-cluster', `local=${etcdPeer}`, '--listen-metrics-urls', `http://127.0.0.1:${await freePort()}`,
    ]);

    log('containerd');
    const sandboxImage = pauseImage();
    const containerdConfigFile = join(dir, 'containerd-config', 'config.toml');
    writeFileSync(containerdConfigFile, containerdConfig({
      ...CONTAINERD,
      cniConfDir: join(dir, 'cni', 'net.d'),
      cniBinDir: '/usr/lib/cni',
      registryHostsDir: join(dir, 'containerd-config', 'hosts'),
      sandboxImage: sandboxImage.reference,
    }));
    writeFileSync(join(dir, 'cni', 'net.d', '10-kubectl-build.conflist'), cniConfig(join(dir, 'cni', 'ipam')));
    const containerd = start('containerd', 'containerd', ['--config', containerdConfigFile]);
    await waitUntil(async () => (existsSync(CONTAINERD.socket) && ctrWorks() ? true : undefined), {
      what: 'containerd to answer on its socket', process: containerd, timeoutMs: 30_000,
    });

    log('kube-apiserver');
    await waitUntil(async () => ((await fetchOk(`${etcdClient}/health`)) ? true : undefined), {
      what: 'etcd to report healthy', process: etcd, timeoutMs: 30_000,
    });
    // On the node's address (on our own bridge, not reachable from other machines): the `kubernetes`
    // Service leads pods there, and this machine reaches it as well.
    const apiPort = await freePort(CLUSTER_NETWORK.nodeIp);
    apiServer = `https://${CLUSTER_NETWORK.nodeIp}:${apiPort}`;
    const apiserver = start('kube-apiserver', 'kube-apiserver', [
      '--etcd-servers', etcdClient,
      '--bind-address', CLUSTER_NETWORK.nodeIp, '--secure-port', String(apiPort), '--advertise-address', CLUSTER_NETWORK.nodeIp,
      '--tls-cert-file', pki.apiserver.certFile, '--tls-private-key-file', pki.apiserver.keyFile,
      '--client-ca-file', pki.ca.certFile,
      '--kubelet-client-certificate', pki.apiserverKubelet.certFile, '--kubelet-client-key', pki.apiserverKubelet.keyFile,
      '--service-account-key-file', pki.serviceAccountPublic, '--service-account-signing-key-file', pki.serviceAccountPrivate,
      '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range', CLUSTER_NETWORK.serviceRange,
      '--authorization-mode', 'Node,RBAC', '--allow-privileged=true', '--profiling=false',
      '--enable-admission-plugins', 'NodeRestriction',
      // The node's name does not resolve (no DNS for it): reach the kubelet by its address.
      '--kubelet-preferred-address-types', 'InternalIP',
    ]);

    // Images are made (or taken from the cache) and imported while the API server starts.
    log('images: pause, busybox, buildkit and buildkit-rootless (made locally, imported into containerd)');
    const made = { pause: sandboxImage, busybox: busyboxImage(), buildkit: buildkitImage(), buildkitRootless: buildkitRootlessImage() };
    for (const image of Object.values(made)) importImage(image, CONTAINERD.socket, dir);
    images = { pause: made.pause.reference, busybox: made.busybox.reference, buildkit: made.buildkit.reference };

    writeKubeconfigs(dir, apiServer, pki);
    const kubectl = (...args: string[]) => execFileSync(tool('kubectl'), ['--kubeconfig', join(dir, 'admin.kubeconfig'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    await waitUntil(async () => (kubectl('get', '--raw', '/readyz').trim() === 'ok' ? true : undefined), {
      what: 'kube-apiserver to be ready', process: apiserver, timeoutMs: 90_000, intervalMs: 500,
    });

    log('kube-controller-manager, kube-scheduler');
    start('kube-controller-manager', 'kube-controller-manager', [
      '--kubeconfig', join(dir, 'controller-manager.kubeconfig'),
      '--authentication-kubeconfig', join(dir, 'controller-manager.kubeconfig'),
      '--authorization-kubeconfig', join(dir, 'controller-manager.kubeconfig'),
      '--service-account-private-key-file', pki.serviceAccountPrivate, '--root-ca-file', pki.ca.certFile,
      '--cluster-signing-cert-file', pki.ca.certFile, '--cluster-signing-key-file', pki.ca.keyFile,
      '--use-service-account-credentials=true', '--leader-elect=false',
      '--bind-address', '127.0.0.1', '--secure-port', String(await freePort()),
    ]);
    start('kube-scheduler', 'kube-scheduler', [
      '--kubeconfig', join(dir, 'scheduler.kubeconfig'),
      '--authentication-kubeconfig', join(dir, 'scheduler.kubeconfig'),
      '--authorization-kubeconfig', join(dir, 'scheduler.kubeconfig'),
      '--leader-elect=false', '--bind-address', '127.0.0.1', '--secure-port', String(await freePort()),
    ]);

    log('kubelet');
    const kubeletConfigFile = join(dir, 'kubelet', 'config.json');
    writeFileSync(kubeletConfigFile, kubeletConfig({
      port: await freePort(),
      healthzPort: await freePort(),
      clientCaFile: pki.ca.certFile,
      tlsCertFile: pki.kubeletServing.certFile,
      tlsKeyFile: pki.kubeletServing.keyFile,
      containerdSocket: CONTAINERD.socket,
    }));
    const kubelet = start('kubelet', 'kubelet', [
      '--config', kubeletConfigFile, '--kubeconfig', join(dir, 'kubelet.kubeconfig'),
      '--hostname-override', CLUSTER_NETWORK.nodeName, '--node-ip', CLUSTER_NETWORK.nodeIp,
      '--root-dir', join(dir, 'kubelet', 'root'), '--cert-dir', join(dir, 'kubelet', 'pki'),
    ]);

    log('kube-proxy');
    const kubeProxyConfigFile = join(dir, 'kube-proxy.json');
    writeFileSync(kubeProxyConfigFile, kubeProxyConfig({
      kubeconfig: join(dir, 'kube-proxy.kubeconfig'), healthzPort: await freePort(), metricsPort: await freePort(),
    }));
    const kubeProxy = start('kube-proxy', 'kube-proxy', ['--config', kubeProxyConfigFile]);
    await waitUntil(
      async () => {
        const ready = kubectl('get', 'node', CLUSTER_NETWORK.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}');
        return ready.trim() === 'True' ? true : undefined;
      },
      { what: 'the node to be Ready', process: kubelet, timeoutMs: 120_000, intervalMs: 1000 },
    );
    // Services work once kube-proxy has written the `kubernetes` Service's rules.
    await waitUntil(async () => (serviceRulesWritten(CLUSTER_NETWORK.apiServiceIp) ? true : undefined), {
      what: `kube-proxy to write the rules of the kubernetes Service (${CLUSTER_NETWORK.apiServiceIp})`, process: kubeProxy, timeoutMs: 60_000, intervalMs: 250,
    });
    // Pods can only be created once the controller-manager made the namespace's service account.
    await waitUntil(async () => (kubectl('get', 'serviceaccount', 'default', '-o', 'name').trim() ? true : undefined), {
      what: 'the default service account', timeoutMs: 60_000, intervalMs: 500,
    });
    writeState();
    log(`up: node ${CLUSTER_NETWORK.nodeName} Ready at ${CLUSTER_NETWORK.nodeIp}, API server ${apiServer}`);
    return cluster();
  } catch (error) {
    await stopCluster(dir, () => {});
    throw error;
  }
}

function ctrWorks(): boolean {
  try {
    execFileSync('ctr', ['--address', CONTAINERD.socket, 'version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function serviceRulesWritten(clusterIp: string): boolean {
  const rules = execFileSync('iptables', ['-w', '-t', 'nat', '-S', 'KUBE-SERVICES'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return rules.includes(`-d ${clusterIp}/32`);
}

async function fetchOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

function setUpHost(): void {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { bridge, nodeIp } = CLUSTER_NETWORK;
  if (!existsSync(`/sys/class/net/${bridge}`)) ip('link', 'add', bridge, 'type', 'bridge');
  const addresses = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge], { encoding: 'utf8' });
  if (!addresses.includes(` ${nodeIp}/`)) ip('addr', 'add', `${nodeIp}/24`, 'dev', bridge);
  ip('link', 'set', bridge, 'up');
  // Left by a cluster that did not stop cleanly: their addresses would clash with the new pods'.
  removePodNetworks();
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  // Bidirectional volume mounts (builders with the containerd worker) need / to be a shared mount,
  // as systemd makes it on a usual node; no init here does.
  execFileSync('mount', ['--make-rshared', '/']);
}

interface Pki {
  readonly ca: CertificateAuthority;
  readonly apiserver: { certFile: string; keyFile: string };
  readonly apiserverKubelet: { certFile: string; keyFile: string };
  readonly kubeletServing: { certFile: string; keyFile: string };
  readonly admin: { certFile: string; keyFile: string };
  readonly controllerManager: { certFile: string; keyFile: string };
  readonly scheduler: { certFile: string; keyFile: string };
  readonly kubelet: { certFile: string; keyFile: string };
  readonly kubeProxy: { certFile: string; keyFile: string };
  readonly serviceAccountPrivate: string;
  readonly serviceAccountPublic: string;
}

const DAYS = 365;
const CLIENT = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

function makePki(dir: string): Pki {
  const ca = createCertificateAuthority(dir, 'kubectl-build local cluster CA', DAYS);
  const client = (name: string, subject: string) => createCertificate(ca, dir, name, subject, CLIENT, DAYS);
  const server = (name: string, subject: string, names: string) =>
    createCertificate(ca, dir, name, subject, `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${names}\n`, DAYS);
  const serviceAccountPrivate = join(dir, 'service-account.key');
  const serviceAccountPublic = join(dir, 'service-account.pub');
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccountPrivate], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', serviceAccountPrivate, '-pubout', '-out', serviceAccountPublic], { stdio: 'ignore' });
  return {
    ca,
    apiserver: server('apiserver', '/CN=kube-apiserver',
      `IP:127.0.0.1,IP:${CLUSTER_NETWORK.nodeIp},IP:${CLUSTER_NETWORK.apiServiceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`),
    apiserverKubelet: client('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client'),
    kubeletServing: server('kubelet-serving', `/CN=${CLUSTER_NETWORK.nodeName}`, `IP:${CLUSTER_NETWORK.nodeIp},IP:127.0.0.1,DNS:${CLUSTER_NETWORK.nodeName}`),
    admin: client('admin', '/O=system:masters/CN=kubernetes-admin'),
    controllerManager: client('controller-manager', '/CN=system:kube-controller-manager'),
    scheduler: client('scheduler', '/CN=system:kube-scheduler'),
    kubelet: client('kubelet', `/O=system:nodes/CN=system:node:${CLUSTER_NETWORK.nodeName}`),
    // Bound to the system:node-proxier ClusterRole by Kubernetes' default bindings.
    kubeProxy: client('kube-proxy', '/CN=system:kube-proxy'),
    serviceAccountPrivate,
    serviceAccountPublic,
  };
}

function writeKubeconfigs(dir: string, server: string, pki: Pki): void {
  const write = (name: string, user: string, cert: { certFile: string; keyFile: string }) =>
    writeFileSync(join(dir, `${name}.kubeconfig`), kubeconfig({ server, caFile: pki.ca.certFile, user, certFile: cert.certFile, keyFile: cert.keyFile }), { mode: 0o600 });
  write('admin', 'kubernetes-admin', pki.admin);
  write('controller-manager', 'system:kube-controller-manager', pki.controllerManager);
  write('scheduler', 'system:kube-scheduler', pki.scheduler);
  write('kubelet', `system:node:${CLUSTER_NETWORK.nodeName}`, pki.kubelet);
  write('kube-proxy', 'system:kube-proxy', pki.kubeProxy);
}

/** Lets containerd (the kubelet's pulls) use `host`, a test registry speaking plain HTTP. */
export function trustPlainHttpRegistry(cluster: Pick<Cluster, 'dir'>, host: string): void {
  const folder = join(cluster.dir, 'containerd-config', 'hosts', host);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'hosts.toml'), plainHttpRegistryHosts(host));
}

/**
 * Stops everything `startCluster` started, by PID: kube-proxy and the kubelet first, then every pod's
 * containers (containerd's shims outlive containerd by design), then the control plane; then removes
 * the firewall rules they made. Logs stay.
 */
export async function stopCluster(dir: string, log: (message: string) => void = () => {}): Promise<void> {
  const state = readCluster(dir);
  const processes = state?.processes ?? [];
  const byName = (name: string) => processes.filter((service) => service.name === name);
  for (const name of ['kube-proxy', 'kubelet']) {
    for (const service of byName(name)) await stopIfOurs(service, log);
  }
  if (byName('containerd').some(processRunning)) removeAllContainers(log);
  for (const name of ['containerd', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd']) {
    for (const service of byName(name)) await stopIfOurs(service, log);
  }
  unmountUnder(join(dir, 'kubelet'));
  if (state) {
    removePodNetworks(log);
    removeClusterFirewallRules(log);
  }
  rmSync(stateFile(dir), { force: true });
}

async function stopIfOurs(service: ClusterProcess, log: (message: string) => void): Promise<void> {
  if (!processRunning(service)) return;
  log(`stopping ${service.name} (pid ${service.pid})`);
  await stopProcess(service, 20_000);
}

function removeAllContainers(log: (message: string) => void): void {
  const ctr = (...args: string[]) =>
    execFileSync('ctr', ['--address', CONTAINERD.socket, '-n', 'k8s.io', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
  try {
    const tasks = ctr('tasks', 'ls', '-q').split('\n').filter(Boolean);
    if (tasks.length > 0) log(`stopping ${tasks.length} container(s)`);
    for (const task of tasks) {
      try {
        ctr('tasks', 'kill', '-s', 'SIGKILL', task);
      } catch {
        // Already stopped.
      }
    }
    for (const task of tasks) {
      try {
        ctr('tasks', 'delete', '-f', task);
      } catch {
        // Gone already.
      }
    }
    for (const container of ctr('containers', 'ls', '-q').split('\n').filter(Boolean)) {
      try {
        ctr('containers', 'delete', container);
      } catch {
        // Left for containerd's next start to clean up.
      }
    }
  } catch (error) {
    log(`could not list containers: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The network namespaces of our pods. containerd keeps each one bind-mounted under /run/netns
 * (cni-...) until the CNI plugin is told to delete the pod, which killing the containers skips; the
 * namespace would outlive the cluster with its veth on our bridge still holding the pod's address,
 * which the next start hands out again (its address allocator starts afresh). Only namespaces with
 * an address in our pod subnet are removed.
 */
function removePodNetworks(log: (message: string) => void = () => {}): void {
  const prefix = CLUSTER_NETWORK.podSubnet.replace(/\.0\/24$/, '.');
  let names: string[];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith('cni-'));
  } catch {
    return;
  }
  const ours = names.filter((name) => {
    try {
      return execFileSync('ip', ['-n', name, '-4', '-o', 'addr', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes(` inet ${prefix}`);
    } catch {
      return false;
    }
  });
  if (ours.length > 0) log(`removing ${ours.length} pod network namespace(s)`);
  for (const name of ours) execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
}

/** Volumes the kubelet mounted (service account tokens are tmpfs) would outlive it. */
function unmountUnder(folder: string): void {
  let mounts: string[];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((target) => target.startsWith(`${folder}/`));
  } catch {
    return;
  }
  for (const target of mounts.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', target], { stdio: 'ignore' });
    } catch {
      // Not mounted any more.
    }
  }
}
