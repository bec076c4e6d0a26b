// A real Kubernetes as plain processes (no kind, no registry pulls): etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd, the kubelet and kube-proxy, on this machine,
// with images made and imported locally. Node 1 is this machine; extra nodes (nodes.ts) are a
// containerd, kubelet and kube-proxy each in namespaces of their own, joined to the same API server. Needs root (containerd, the kubelet, the bridge, iptables).
// Every process is started by us, logged under <dir>/logs, recorded in <dir>/state.json and stopped
// by PID.
// ../shared/design/LOCAL-CLUSTER.md has the facts behind each setting.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder, unmountUnder } from '../mounts.ts';
import { freePort } from '../net.ts';
import { tool } from '../paths.ts';
import { commandOf, isAlive, isOurProcess, startProcess, stopProcess, waitUntil, type ServiceProcess } from '../process.ts';
import { createCertificate, createCertificateAuthority, type CertificateAuthority } from '../tls.ts';
import {
  CLUSTER_NETWORK,
  MAX_NODES,
  cniConfig,
  containerdConfig,
  kubeconfig,
  kubeletConfig,
  kubeProxyConfig,
  nodeNetwork,
  plainHttpRegistryHosts,
  type NodeNetwork,
} from './config.ts';
import { removeClusterFirewallRules } from './firewall.ts';
import { buildkitImage, buildkitRootlessImage, busyboxImage, importImage, pauseImage, type ClusterImage } from './images.ts';
import {
  createNodeCgroups,
  inNodeCommand,
  inNodeNetwork,
  nodeContainerdSocket,
  nodeDir,
  nodeHolderCommand,
  removeNodeCgroups,
  removeNodeNetwork,
  setUpNodeNetwork,
} from './nodes.ts';

/** containerd at its usual paths: builders with the containerd worker mount them from the node. */
const CONTAINERD = { root: '/var/lib/containerd', state: '/run/containerd', socket: '/run/containerd/containerd.sock' };

export interface ClusterProcess {
  readonly name: string;
  readonly pid: number;
  readonly command: string;
  readonly logFile: string;
  /** The extra node it belongs to (none: node 1 or the control plane). */
  readonly node?: string;
}

/** One node of the cluster, as this machine reaches it. */
export interface ClusterNode {
  readonly index: number;
  readonly name: string;
  readonly ip: string;
  readonly podSubnet: string;
  /** Its containerd's socket, from this machine (images are imported there). */
  readonly containerdSocket: string;
}

export interface Cluster {
  readonly dir: string;
  /** The admin kubeconfig (system:masters). */
  readonly kubeconfig: string;
  readonly server: string;
  /** Node 1's name: this machine. */
  readonly nodeName: string;
  /** Where pods of every node reach node 1 (and services the tests start on it). */
  readonly nodeIp: string;
  /** Node 1's containerd. */
  readonly containerdSocket: string;
  /** Every node, node 1 first (absent in the state of a cluster started before there were more). */
  readonly nodes?: readonly ClusterNode[];
  readonly images: { readonly buildkit: string; readonly busybox: string; readonly pause: string };
  readonly processes: readonly ClusterProcess[];
}

export interface ClusterOptions {
  readonly dir: string;
  /** Keep running after this Node process exits (hack/cluster up); the test harness leaves it false. */
  readonly detached?: boolean;
  readonly log?: (message: string) => void;
  /** How many nodes (default 1): node 1 is this machine, the others live in namespaces. */
  readonly nodes?: number;
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
  const nodeCount = options.nodes ?? 1;
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES) throw new Error(`--nodes must be a whole number from 1 to ${MAX_NODES}, not ${nodeCount}`);
  const nodes = Array.from({ length: nodeCount }, (_, i) => nodeNetwork(i + 1));
  const extraNodes = nodes.slice(1);
  if (process.getuid?.() !== 0) throw new Error('the local cluster needs root (containerd, the kubelet and a network bridge)');
  // A cluster recorded here whose processes ended without `down` (a session that stopped, a machine
  // that rebooted, kill -9) left what outlives them: the kubelet's volume mounts (service account
  // tokens are tmpfs, which make the folder below unremovable), pod network namespaces, firewall
  // rules, an extra node's namespaces. Clear them as `down` would before starting afresh.
  if (readCluster(dir) && !clusterRunning(dir)) {
    log('clearing what the last cluster left (it ended without hack/cluster down)');
    await stopCluster(dir, log);
  }
  // One node per machine: it owns containerd's usual socket, the kb0 bridge and its address.
  if (ctrWorks()) {
    throw new Error(`a containerd already answers on ${CONTAINERD.socket} (another local cluster? hack/cluster down, or hack/local-stack down, stops ours)`);
  }
  unmountUnder(join(dir, 'kubelet'));
  for (const sub of ['pki', 'etcd', 'kubelet', 'cni', 'containerd-config']) clearFolder(join(dir, sub));
  const logs = join(dir, 'logs');
  for (const sub of ['pki', 'etcd', 'kubelet', 'cni/net.d', 'cni/ipam', 'containerd-config/hosts', 'logs']) {
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  }

  const processes: ClusterProcess[] = [];
  // `via`: a command line that execs the program (nsenter into a node's namespaces); the PID stays
  // the program's, which is what `command` names.
  const start = (name: string, command: string, args: string[], via: { node: NodeNetwork; prefix: string[] } | undefined = undefined): ServiceProcess => {
    const fullName = via ? `${via.node.name}/${name}` : name;
    const logFile = join(logs, `${fullName.replace('/', '.')}.log`);
    writeFileSync(logFile, '');
    const [program, ...prefixArgs] = via ? via.prefix : [tool(command)];
    const service = startProcess({
      name: fullName, command: program ?? command, args: via ? [...prefixArgs, tool(command), ...args] : args, logFile, detached: options.detached,
    });
    processes.push({ name: fullName, pid: service.pid, command, logFile, ...(via ? { node: via.node.name } : {}) });
    writeState();
    return service;
  };
  const clusterNodes: ClusterNode[] = nodes.map((node) => ({
    index: node.index,
    name: node.name,
    ip: node.ip,
    podSubnet: node.podSubnet,
    containerdSocket: node.index === 1 ? CONTAINERD.socket : nodeContainerdSocket(dir, node),
  }));
  const cluster = (): Cluster => ({
    dir,
    kubeconfig: join(dir, 'admin.kubeconfig'),
    server: apiServer,
    nodeName: CLUSTER_NETWORK.nodeName,
    nodeIp: CLUSTER_NETWORK.nodeIp,
    containerdSocket: CONTAINERD.socket,
    nodes: clusterNodes,
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
    const pki = makePki(join(dir, 'pki'), nodes);

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
    const holders = new Map<string, number>();
    for (const node of extraNodes) {
      log(`${node.name}: network namespace at ${node.ip}, pods in ${node.podSubnet}, mount namespace, containerd`);
      holders.set(node.name, await startNodeNamespaces(dir, node, start));
    }
    const extraContainerds = extraNodes.map((node) => startNodeContainerd(dir, node, sandboxImage, start, holders.get(node.name) ?? 0));
    await waitUntil(async () => (existsSync(CONTAINERD.socket) && ctrWorks() ? true : undefined), {
      what: 'containerd to answer on its socket', process: containerd, timeoutMs: 30_000,
    });
    for (const [i, node] of extraNodes.entries()) {
      const socket = nodeContainerdSocket(dir, node);
      await waitUntil(async () => (existsSync(socket) && ctrWorks(socket) ? true : undefined), {
        what: `${node.name}'s containerd to answer on its socket`, process: extraContainerds[i], timeoutMs: 30_000,
      });
    }

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
    log(`images: pause, busybox, buildkit and buildkit-rootless (made locally, imported into the containerd of ${nodeCount === 1 ? 'the node' : `each of the ${nodeCount} nodes`})`);
    const made = { pause: sandboxImage, busybox: busyboxImage(), buildkit: buildkitImage(), buildkitRootless: buildkitRootlessImage() };
    importImageOnNodes(Object.values(made), clusterNodes, dir);
    images = { pause: made.pause.reference, busybox: made.busybox.reference, buildkit: made.buildkit.reference };

    writeKubeconfigs(dir, apiServer, pki, nodes);
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

    const agents: Array<{ node: NodeNetwork; kubelet: ServiceProcess; kubeProxy: ServiceProcess }> = [];
    for (const node of nodes) {
      log(nodeCount === 1 ? 'kubelet, kube-proxy' : `${node.name}: kubelet, kube-proxy`);
      const holder = holders.get(node.name);
      const via = holder === undefined ? undefined : { node, prefix: inNodeCommand(holder) };
      // Node 1's kubelet keeps its state in the cluster's folder; an extra node's in its own
      // /var/lib/kubelet (a folder of its own, bind-mounted in its mount namespace).
      const kubeletDir = via ? join(nodeDir(dir, node), 'kubelet') : join(dir, 'kubelet');
      mkdirSync(kubeletDir, { recursive: true, mode: 0o700 });
      const kubeletConfigFile = join(kubeletDir, 'config.json');
      const serving = pki.kubeletServing[node.name];
      if (!serving) throw new Error(`no serving certificate for ${node.name}`);
      writeFileSync(kubeletConfigFile, kubeletConfig({
        port: await freePort(),
        healthzPort: await freePort(),
        clientCaFile: pki.ca.certFile,
        tlsCertFile: serving.certFile,
        tlsKeyFile: serving.keyFile,
        containerdSocket: CONTAINERD.socket,
        node,
      }));
      const kubelet = start('kubelet', 'kubelet', [
        '--config', kubeletConfigFile, '--kubeconfig', join(dir, kubeletKubeconfigName(node)),
        '--hostname-override', node.name, '--node-ip', node.ip,
        '--root-dir', via ? '/var/lib/kubelet' : join(dir, 'kubelet', 'root'), '--cert-dir', join(kubeletDir, 'pki'),
      ], via);
      const kubeProxyConfigFile = join(kubeletDir, 'kube-proxy.json');
      writeFileSync(kubeProxyConfigFile, kubeProxyConfig({
        kubeconfig: join(dir, 'kube-proxy.kubeconfig'), healthzPort: await freePort(), metricsPort: await freePort(), node,
      }));
      const kubeProxy = start('kube-proxy', 'kube-proxy', ['--config', kubeProxyConfigFile], via);
      agents.push({ node, kubelet, kubeProxy });
    }
    for (const { node, kubelet, kubeProxy } of agents) {
      await waitUntil(
        async () => {
          const ready = kubectl('get', 'node', node.name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}');
          return ready.trim() === 'True' ? true : undefined;
        },
        { what: `the node ${node.name} to be Ready`, process: kubelet, timeoutMs: 120_000, intervalMs: 1000 },
      );
      // Services work once kube-proxy has written the `kubernetes` Service's rules.
      await waitUntil(async () => (serviceRulesWritten(CLUSTER_NETWORK.apiServiceIp, node) ? true : undefined), {
        what: `kube-proxy of ${node.name} to write the rules of the kubernetes Service (${CLUSTER_NETWORK.apiServiceIp})`, process: kubeProxy, timeoutMs: 60_000, intervalMs: 250,
      });
    }
    // Pods can only be created once the controller-manager made the namespace's service account.
    await waitUntil(async () => (kubectl('get', 'serviceaccount', 'default', '-o', 'name').trim() ? true : undefined), {
      what: 'the default service account', timeoutMs: 60_000, intervalMs: 500,
    });
    writeState();
    log(`up: ${nodes.map((node) => `node ${node.name} Ready at ${node.ip}`).join(', ')}; API server ${apiServer}`);
    return cluster();
  } catch (error) {
    await stopCluster(dir, () => {});
    throw error;
  }
}

type Starter = (name: string, command: string, args: string[], via?: { node: NodeNetwork; prefix: string[] }) => ServiceProcess;

/** Sets up an extra node's network and cgroups and starts the process holding its mount namespace; returns its PID. */
async function startNodeNamespaces(dir: string, node: NodeNetwork, start: Starter): Promise<number> {
  // Its state from an earlier run goes, except containerd's store (the imported images stay, as on node 1).
  for (const sub of ['run', 'var/lib/kubelet', 'kubelet', 'cni']) rmSync(join(nodeDir(dir, node), sub), { recursive: true, force: true, maxRetries: 3 });
  setUpNodeNetwork(node);
  createNodeCgroups(node);
  const holder = start('namespaces', 'sleep', ['infinity'], { node, prefix: nodeHolderCommand(dir, node) });
  // Its namespaces are the node's once its mounts are made, which is when it runs the sleep.
  await waitUntil(async () => (commandOf(holder.pid) === 'sleep' ? true : undefined), {
    what: `${node.name}'s mount namespace`, process: holder, timeoutMs: 10_000, intervalMs: 20,
  });
  return holder.pid;
}

function startNodeContainerd(dir: string, node: NodeNetwork, sandboxImage: ClusterImage, start: Starter, holder: number): ServiceProcess {
  const folder = nodeDir(dir, node);
  for (const sub of ['cni/net.d', 'cni/ipam', 'containerd-config']) mkdirSync(join(folder, sub), { recursive: true, mode: 0o700 });
  const configFile = join(folder, 'containerd-config', 'config.toml');
  // The same paths as node 1's, which are the node's own in its mount namespace; the registries'
  // hosts.toml folder is the cluster's, shared by every node.
  writeFileSync(configFile, containerdConfig({
    ...CONTAINERD,
    cniConfDir: join(folder, 'cni', 'net.d'),
    cniBinDir: '/usr/lib/cni',
    registryHostsDir: join(dir, 'containerd-config', 'hosts'),
    sandboxImage: sandboxImage.reference,
  }));
  writeFileSync(join(folder, 'cni', 'net.d', '10-kubectl-build.conflist'), cniConfig(join(folder, 'cni', 'ipam'), node));
  return start('containerd', 'containerd', ['--config', configFile], { node, prefix: inNodeCommand(holder) });
}

/** Imports the images into every node's containerd (a Pod may land on any node). */
export function importImageOnNodes(images: readonly ClusterImage[], nodes: readonly Pick<ClusterNode, 'containerdSocket'>[], workDir: string): void {
  for (const node of nodes) {
    for (const image of images) importImage(image, node.containerdSocket, workDir);
  }
}

/** Every node of a cluster's state (node 1 only, for a state written before there were more). */
export function clusterNodes(cluster: Cluster): readonly ClusterNode[] {
  return cluster.nodes ?? [{ index: 1, name: cluster.nodeName, ip: cluster.nodeIp, podSubnet: CLUSTER_NETWORK.podSubnet, containerdSocket: cluster.containerdSocket }];
}

function ctrWorks(socket: string = CONTAINERD.socket): boolean {
  try {
    execFileSync('ctr', ['--address', socket, 'version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function serviceRulesWritten(clusterIp: string, node: NodeNetwork): boolean {
  const args = ['-w', '-t', 'nat', '-S', 'KUBE-SERVICES'];
  const rules = node.index === 1
    ? execFileSync('iptables', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    : inNodeNetwork(node, 'iptables', args);
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
  if (readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim() !== CLUSTER_NETWORK.bridgeMac) ip('link', 'set', bridge, 'address', CLUSTER_NETWORK.bridgeMac);
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
  /** By node name. */
  readonly kubeletServing: Readonly<Record<string, { certFile: string; keyFile: string }>>;
  readonly admin: { certFile: string; keyFile: string };
  readonly controllerManager: { certFile: string; keyFile: string };
  readonly scheduler: { certFile: string; keyFile: string };
  /** By node name. */
  readonly kubelet: Readonly<Record<string, { certFile: string; keyFile: string }>>;
  readonly kubeProxy: { certFile: string; keyFile: string };
  readonly serviceAccountPrivate: string;
  readonly serviceAccountPublic: string;
}

const DAYS = 365;
const CLIENT = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

function makePki(dir: string, nodes: readonly NodeNetwork[]): Pki {
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
    kubeletServing: Object.fromEntries(nodes.map((node) => [node.name,
      server(`kubelet-serving-${node.index}`, `/CN=${node.name}`, `IP:${node.ip},IP:127.0.0.1,DNS:${node.name}`)])),
    admin: client('admin', '/O=system:masters/CN=kubernetes-admin'),
    controllerManager: client('controller-manager', '/CN=system:kube-controller-manager'),
    scheduler: client('scheduler', '/CN=system:kube-scheduler'),
    kubelet: Object.fromEntries(nodes.map((node) => [node.name, client(`kubelet-${node.index}`, `/O=system:nodes/CN=system:node:${node.name}`)])),
    // Bound to the system:node-proxier ClusterRole by Kubernetes' default bindings.
    kubeProxy: client('kube-proxy', '/CN=system:kube-proxy'),
    serviceAccountPrivate,
    serviceAccountPublic,
  };
}

const kubeletKubeconfigName = (node: NodeNetwork) => (node.index === 1 ? 'kubelet.kubeconfig' : `kubelet-${node.index}.kubeconfig`);

function writeKubeconfigs(dir: string, server: string, pki: Pki, nodes: readonly NodeNetwork[]): void {
  const write = (name: string, user: string, cert: { certFile: string; keyFile: string }) =>
    writeFileSync(join(dir, `${name}.kubeconfig`), kubeconfig({ server, caFile: pki.ca.certFile, user, certFile: cert.certFile, keyFile: cert.keyFile }), { mode: 0o600 });
  write('admin', 'kubernetes-admin', pki.admin);
  write('controller-manager', 'system:kube-controller-manager', pki.controllerManager);
  write('scheduler', 'system:kube-scheduler', pki.scheduler);
  for (const node of nodes) {
    const cert = pki.kubelet[node.name];
    if (cert) write(kubeletKubeconfigName(node).replace(/\.kubeconfig$/, ''), `system:node:${node.name}`, cert);
  }
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
  // Extra nodes first, each like node 1 below, then their namespaces, cgroups and routes.
  for (const node of [...(state ? clusterNodes(state) : [])].reverse().filter((each) => each.index > 1)) {
    const network = nodeNetwork(node.index);
    for (const name of ['kube-proxy', 'kubelet']) {
      for (const service of byName(`${node.name}/${name}`)) await stopIfOurs(service, log);
    }
    if (byName(`${node.name}/containerd`).some(processRunning)) removeAllContainers(log, node.containerdSocket);
    for (const name of ['containerd', 'namespaces']) {
      for (const service of byName(`${node.name}/${name}`)) await stopIfOurs(service, log);
    }
    removeNodeCgroups(network, log);
    removeNodeNetwork(network, log);
  }
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
    if (clusterNodes(state).length > 1) removeUnmountedNetnsFiles(log);
    removeClusterFirewallRules(log);
  }
  rmSync(stateFile(dir), { force: true });
}

async function stopIfOurs(service: ClusterProcess, log: (message: string) => void): Promise<void> {
  if (!processRunning(service)) return;
  log(`stopping ${service.name} (pid ${service.pid})`);
  await stopProcess(service, 20_000);
}

function removeAllContainers(log: (message: string) => void, socket: string = CONTAINERD.socket): void {
  const ctr = (...args: string[]) =>
    execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
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
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith('cni-'));
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

/**
 * The extra nodes' containerds made their pods' network namespaces as files in /run/netns (a folder
 * this machine shares with them) bind-mounted in their own mount namespace: once those are gone the
 * files stay, empty and unmounted here, and `ip netns` complains of them. Run with every node stopped.
 */
function removeUnmountedNetnsFiles(log: (message: string) => void): void {
  const folder = '/run/netns';
  if (!existsSync(folder)) return;
  const mounted = new Set(mountsUnder(folder));
  const stale = readdirSync(folder).filter((name) => name.startsWith('cni-') && !mounted.has(join(folder, name)));
  if (stale.length > 0) log(`removing ${stale.length} network namespace file(s) the extra nodes' pods left in ${folder}`);
  for (const name of stale) rmSync(join(folder, name), { force: true });
}

/**
 * Removes a folder of the last cluster's, or says in one sentence what holds it: Node's own error
 * for a busy mount point reads ", Unknown error: Device or resource busy".
 */
function clearFolder(folder: string): void {
  try {
    rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const held = mountsUnder(folder, true);
    const why = held.length > 0 ? `${held.length} mount(s) under it, e.g. ${held[0]}` : (code ?? String(error));
    throw new Error(`cannot clear ${folder} for a new cluster: ${why}; hack/cluster down clears what a cluster left, or unmount them`, { cause: error });
  }
}

