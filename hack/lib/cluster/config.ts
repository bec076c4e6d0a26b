// The local cluster's configuration files, as pure functions of its layout (so unit tests can read
// them): containerd's config, the CNI network, the kubelet's KubeletConfiguration and kubeconfigs.
// Settings that exist only because of this machine are explained where they are set.

/** Fixed addresses of the local cluster's network. */
export const CLUSTER_NETWORK = {
  /** A Linux bridge of our own; the kubelet's node IP and the gateway of every pod. */
  bridge: 'kb0',
  /**
   * The bridge's own MAC address, set when it is made. A bridge without one set takes the lowest MAC
   * of its ports, which changes as pods come and go: the pods and the extra nodes that resolved the
   * bridge's address to a port that then went lose this machine until their ARP entry goes stale
   * (seen: an extra node's kubelet cut off from the API server for half a minute). Locally
   * administered, so it clashes with no hardware.
   */
  bridgeMac: '02:6b:62:00:00:01',
  nodeIp: '10.244.0.1',
  podSubnet: '10.244.0.0/24',
  /** What kube-proxy counts as pod traffic (the bridge's /24 lies inside it). */
  clusterCidr: '10.244.0.0/16',
  serviceRange: '10.96.0.0/24',
  /** The `kubernetes` Service (KUBERNETES_SERVICE_HOST in pods): the first address of serviceRange. */
  apiServiceIp: '10.96.0.1',
  nodeName: 'kubectl-build-node',
  /**
   * Extra nodes (hack/cluster up --nodes N) have their addresses in this subnet, on the same bridge
   * (a veth of each node's network namespace is plugged into it); this machine is its first address.
   */
  nodeSubnet: '10.243.0.0/24',
  nodeGateway: '10.243.0.1',
} as const;

/** Where one node of the local cluster lives on the network, and its share of the cluster's pods. */
export interface NodeNetwork {
  /** 1 for the node that is this machine itself, 2.. for the nodes in namespaces of their own. */
  readonly index: number;
  readonly name: string;
  readonly ip: string;
  readonly podSubnet: string;
  /** The pods' gateway: the address of the node's own bridge in that subnet. */
  readonly podGateway: string;
  /**
   * The cgroup under which its kubelet puts pods. Each kubelet removes pod cgroups it does not know
   * under its root, so two kubelets of one machine must not share one ('' is the default, /kubepods).
   */
  readonly cgroupRoot: string;
}

/** The most nodes one machine runs (each one's pod subnet is 10.244.<index - 1>.0/24). */
export const MAX_NODES = 8;

export function nodeNetwork(index: number): NodeNetwork {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODES) throw new Error(`node index ${index} is outside 1..${MAX_NODES}`);
  if (index === 1) {
    return { index, name: CLUSTER_NETWORK.nodeName, ip: CLUSTER_NETWORK.nodeIp, podSubnet: CLUSTER_NETWORK.podSubnet, podGateway: CLUSTER_NETWORK.nodeIp, cgroupRoot: '' };
  }
  const name = `${CLUSTER_NETWORK.nodeName}-${index}`;
  return {
    index,
    name,
    ip: CLUSTER_NETWORK.nodeGateway.replace(/\.1$/, `.${index}`),
    podSubnet: `10.244.${index - 1}.0/24`,
    podGateway: `10.244.${index - 1}.1`,
    cgroupRoot: `/${name}`,
  };
}

export interface ContainerdPaths {
  readonly root: string;
  readonly state: string;
  readonly socket: string;
  readonly cniConfDir: string;
  readonly cniBinDir: string;
  /** hosts.toml folders per registry (plain-HTTP test registries are declared there). */
  readonly registryHostsDir: string;
  readonly sandboxImage: string;
}

export function containerdConfig(paths: ContainerdPaths): string {
  return `version = 2
root = ${JSON.stringify(paths.root)}
state = ${JSON.stringify(paths.state)}

[grpc]
  address = ${JSON.stringify(paths.socket)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(paths.sandboxImage)}
  # Without CAP_SYS_RESOURCE (this VM), runc cannot lower oom_score_adj and every sandbox fails
  # with "can't get final child's PID from pipe: EOF"; keep containers at or above containerd's own.
  restrict_oom_score_adj = true

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${JSON.stringify(paths.cniBinDir)}
    conf_dir = ${JSON.stringify(paths.cniConfDir)}

  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ${JSON.stringify(paths.registryHostsDir)}
`;
}

/**
 * A bridge network with host-local addresses in the node's pod subnet; the bridge's address in it is
 * the pods' gateway (node 1's is its node IP; the other nodes have a bridge of the same name in their
 * own network namespace).
 */
export function cniConfig(ipamDataDir: string, node: NodeNetwork = nodeNetwork(1)): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'kubectl-build',
      plugins: [
        {
          type: 'bridge',
          bridge: CLUSTER_NETWORK.bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: ipamDataDir,
            ranges: [[{ subnet: node.podSubnet, gateway: node.podGateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** hosts.toml that makes containerd pull from `host` over plain HTTP. */
export function plainHttpRegistryHosts(host: string): string {
  return `server = "http://${host}"

[host."http://${host}"]
  capabilities = ["pull", "resolve"]
`;
}

export interface KubeletPaths {
  readonly port: number;
  readonly healthzPort: number;
  readonly clientCaFile: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly containerdSocket: string;
  readonly node?: NodeNetwork;
}

export function kubeletConfig(paths: KubeletPaths): string {
  const node = paths.node ?? nodeNetwork(1);
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: node.ip,
      port: paths.port,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: paths.healthzPort,
      tlsCertFile: paths.tlsCertFile,
      tlsPrivateKeyFile: paths.tlsKeyFile,
      // Only the API server (client certificate from our CA) talks to the kubelet.
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: paths.clientCaFile } },
      authorization: { mode: 'AlwaysAllow' },
      containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
      // cgroup v1 on this machine, no systemd as PID 1.
      cgroupDriver: 'cgroupfs',
      ...(node.cgroupRoot ? { cgroupRoot: node.cgroupRoot } : {}),
      failCgroupV1: false,
      failSwapOn: false,
      // Without CAP_SYS_RESOURCE the kubelet cannot lower its own oom_score_adj (it defaults to -999).
      oomScoreAdj: 0,
      // No cluster DNS (no CoreDNS image can be pulled); pods use the node's resolv.conf.
      clusterDomain: 'cluster.local',
      resolvConf: '/etc/resolv.conf',
      // The locally imported images cannot be pulled again: never garbage-collect them, and do not
      // evict pods on a busy developer disk.
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
      serializeImagePulls: false,
      rotateCertificates: false,
      serverTLSBootstrap: false,
    },
    null,
    2,
  );
}

export interface KubeProxyPaths {
  readonly kubeconfig: string;
  readonly healthzPort: number;
  readonly metricsPort: number;
  readonly node?: NodeNetwork;
}

/**
 * kube-proxy in iptables mode: Services work from pods and from this machine (the API server calls
 * webhook Services by ClusterIP from the host network). It changes nothing else on the machine:
 * NodePorts only on the node address (not on every interface, and no route_localnet for loopback
 * ones), conntrack sysctls and its own oom_score_adj left as they are (no CAP_SYS_RESOURCE here).
 */
export function kubeProxyConfig(paths: KubeProxyPaths): string {
  const node = paths.node ?? nodeNetwork(1);
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig: paths.kubeconfig },
      mode: 'iptables',
      hostnameOverride: node.name,
      // The node's address, so that kube-proxy need not wait for the Node object to learn it.
      bindAddress: node.ip,
      clusterCIDR: CLUSTER_NETWORK.clusterCidr,
      detectLocalMode: 'ClusterCIDR',
      healthzBindAddress: `127.0.0.1:${paths.healthzPort}`,
      metricsBindAddress: `127.0.0.1:${paths.metricsPort}`,
      nodePortAddresses: [`${node.ip}/32`],
      iptables: { localhostNodePorts: false },
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      oomScoreAdj: 0,
    },
    null,
    2,
  );
}

export interface KubeconfigInput {
  readonly server: string;
  readonly caFile: string;
  readonly user: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly token?: string;
  readonly context?: string;
  readonly namespace?: string;
}

/** A kubeconfig with one cluster, user and context (JSON is YAML). */
export function kubeconfig(input: KubeconfigInput): string {
  const context = input.context ?? 'kubectl-build-local';
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'kubectl-build-local', cluster: { server: input.server, 'certificate-authority': input.caFile } }],
      users: [
        {
          name: input.user,
          user: input.token
            ? { token: input.token }
            : { 'client-certificate': input.certFile, 'client-key': input.keyFile },
        },
      ],
      contexts: [{ name: context, context: { cluster: 'kubectl-build-local', user: input.user, ...(input.namespace ? { namespace: input.namespace } : {}) } }],
      'current-context': context,
    },
    null,
    2,
  );
}
