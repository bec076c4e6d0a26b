// The local cluster's extra nodes (hack/cluster up --nodes N): each one is a containerd, a kubelet and
// a kube-proxy of its own on this machine, kept apart from node 1 (this machine itself) and from each
// other by namespaces, so that each sees what a node of its own would:
// - a network namespace, with a veth plugged into the cluster bridge (its node address) and its own
//   pod bridge and pod subnet inside; this machine routes each node's pod subnet to its address, so
//   pods of every node reach each other, the registry and the API server on node 1's address;
// - a mount namespace, held by a sleeping process, where the paths a node owns are bind mounts of
//   folders of its own (its containerd's store and socket, the kubelet's and BuildKit's state, the
//   pods' logs);
// - a cgroup root of its own for its pods (see NodeNetwork.cgroupRoot).
// Everything here is undone by removeNodeNetwork / removeNodeCgroups once its processes are stopped.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_NETWORK, type NodeNetwork } from './config.ts';

/**
 * The paths each node owns, bind-mounted from its folder in its mount namespace. The pod logs too:
 * a kubelet removes the log folders of pods it does not know, which on a shared /var/log/pods are
 * the other nodes' (kubectl logs then found nothing for a pod of node 1).
 */
export const NODE_PATHS = ['/run/containerd', '/var/lib/containerd', '/var/lib/kubelet', '/var/lib/buildkit', '/var/log/pods', '/var/log/containers'] as const;

export const netnsName = (node: NodeNetwork) => `kb-node-${node.index}`;
const netnsPath = (node: NodeNetwork) => `/run/netns/${netnsName(node)}`;
/** This machine's end of the node's veth, on the cluster bridge. */
const vethName = (node: NodeNetwork) => `kbv${node.index}`;

/** Where a node's own paths live on this machine (NODE_PATHS under it, as they are). */
export function nodeDir(clusterDir: string, node: NodeNetwork): string {
  return join(clusterDir, 'nodes', node.name);
}

/** Its containerd's socket as this machine reaches it (the folder behind its /run/containerd). */
export function nodeContainerdSocket(clusterDir: string, node: NodeNetwork): string {
  return join(nodeDir(clusterDir, node), 'run/containerd/containerd.sock');
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `command` in the node's network namespace (and nothing else of it). */
export function inNodeNetwork(node: NodeNetwork, command: string, args: readonly string[], input?: string): string {
  return execFileSync('nsenter', [`--net=${netnsPath(node)}`, command, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The node's network namespace, its veth on the bridge and the route to its pods. */
export function setUpNodeNetwork(node: NodeNetwork): void {
  const { bridge, nodeGateway, nodeSubnet } = CLUSTER_NETWORK;
  const prefix = nodeSubnet.split('/')[1];
  removeNodeNetwork(node);
  if (!ip('-4', '-o', 'addr', 'show', 'dev', bridge).includes(` ${nodeGateway}/`)) ip('addr', 'add', `${nodeGateway}/${prefix}`, 'dev', bridge);
  ip('netns', 'add', netnsName(node));
  ip('link', 'add', vethName(node), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netnsName(node));
  ip('link', 'set', vethName(node), 'master', bridge, 'up');
  const inside = (...args: string[]) => ip('-n', netnsName(node), ...args);
  inside('addr', 'add', `${node.ip}/${prefix}`, 'dev', 'eth0');
  inside('link', 'set', 'lo', 'up');
  inside('link', 'set', 'eth0', 'up');
  inside('route', 'add', 'default', 'via', nodeGateway);
  ip('route', 'replace', node.podSubnet, 'via', node.ip, 'dev', bridge);
  // Per network namespace: the node forwards its pods' traffic, and traffic between pods on its
  // bridge goes through iptables (kube-proxy's Service rules), as on node 1.
  inNodeNetwork(node, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward; if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables; fi']);
}

/** Removes the route to the node's pods and its network namespace (with its veth and everything in it). */
export function removeNodeNetwork(node: NodeNetwork, log: (message: string) => void = () => {}): void {
  const quietly = (...args: string[]) => {
    try {
      ip(...args);
      return true;
    } catch {
      return false; // Not there.
    }
  };
  if (quietly('route', 'del', node.podSubnet, 'via', node.ip)) log(`removed the route to ${node.name}'s pods (${node.podSubnet})`);
  if (existsSync(netnsPath(node)) && quietly('netns', 'delete', netnsName(node))) log(`removed ${node.name}'s network namespace ${netnsName(node)}`);
  quietly('link', 'delete', vethName(node));
}

/**
 * The command line of the process that holds the node's mount namespace: it enters the node's network
 * namespace, makes a mount namespace whose mounts are slaves of this machine's (so that unmounts here
 * reach it, and nothing mounted in it comes back), bind-mounts the node's paths from its folder, makes
 * the namespace shared within itself (bidirectional volume mounts of builder pods need that, as on a
 * systemd node), then execs `program` (a sleep) which keeps it alive until stopped.
 */
export function nodeHolderCommand(clusterDir: string, node: NodeNetwork): string[] {
  const dir = nodeDir(clusterDir, node);
  for (const path of NODE_PATHS) mkdirSync(join(dir, path), { recursive: true });
  const script = [
    'set -e',
    ...NODE_PATHS.map((path) => `mkdir -p ${path} && mount --bind "$NODE_DIR${path}" ${path}`),
    'mount --make-rshared /',
    'exec "$@"',
  ].join('\n');
  return ['nsenter', `--net=${netnsPath(node)}`, 'unshare', '--mount', '--propagation', 'slave', 'env', `NODE_DIR=${dir}`, 'sh', '-c', script, 'node-namespaces'];
}

/** The prefix that runs a program in the node's namespaces (those of the process `holderPid`). */
export function inNodeCommand(holderPid: number): string[] {
  return ['nsenter', `--target=${holderPid}`, '--mount', '--net', '--'];
}

/** The cgroup v1 hierarchies (and the v2 one of a hybrid machine) this machine mounts. */
function cgroupHierarchies(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[2] === 'cgroup' || fields[2] === 'cgroup2')
    .map((fields) => fields[1] ?? '')
    .filter(Boolean);
}

/** The node's cgroup root in every hierarchy (the kubelet requires it to exist). */
export function createNodeCgroups(node: NodeNetwork): void {
  for (const hierarchy of cgroupHierarchies()) {
    const folder = join(hierarchy, node.cgroupRoot);
    mkdirSync(folder, { recursive: true });
    // A new cpuset cgroup starts with no CPUs and no memory nodes: give it its parent's.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = join(folder, file);
      if (existsSync(own) && readFileSync(own, 'utf8').trim() === '') writeFileSync(own, readFileSync(join(hierarchy, file), 'utf8'));
    }
  }
}

/** Removes the node's cgroups, deepest first (what still has processes in it stays, and is said). */
export function removeNodeCgroups(node: NodeNetwork, log: (message: string) => void = () => {}): void {
  const remove = (folder: string): boolean => {
    let ok = true;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) ok = remove(join(folder, entry.name)) && ok;
    }
    try {
      rmdirSync(folder);
      return ok;
    } catch {
      return false;
    }
  };
  for (const hierarchy of cgroupHierarchies()) {
    const folder = join(hierarchy, node.cgroupRoot);
    if (existsSync(folder) && !remove(folder)) log(`could not remove the cgroup ${folder} (processes still in it?)`);
  }
}
