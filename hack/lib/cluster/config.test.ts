import { describe, expect, it } from 'vitest';
import { CLUSTER_NETWORK, cniConfig, kubeletConfig, kubeProxyConfig, MAX_NODES, nodeNetwork } from './config.ts';

const kubeletPaths = { port: 10250, healthzPort: 10248, clientCaFile: 'ca.crt', tlsCertFile: 'k.crt', tlsKeyFile: 'k.key', containerdSocket: '/run/containerd/containerd.sock' };
const proxyPaths = { kubeconfig: 'kp.kubeconfig', healthzPort: 1, metricsPort: 2 };

describe('the nodes of the local cluster', () => {
  it('keeps node 1 where a one-node cluster has always been: this machine on the bridge, the first pod subnet, the default cgroups', () => {
    expect(nodeNetwork(1)).toEqual({ index: 1, name: CLUSTER_NETWORK.nodeName, ip: '10.244.0.1', podSubnet: '10.244.0.0/24', podGateway: '10.244.0.1', cgroupRoot: '' });
    expect(JSON.parse(kubeletConfig(kubeletPaths))).not.toHaveProperty('cgroupRoot');
    expect(JSON.parse(kubeletConfig(kubeletPaths)).address).toBe('10.244.0.1');
  });

  it('gives every other node an address of its own, a pod subnet of its own inside the cluster CIDR and a cgroup root of its own', () => {
    const nodes = Array.from({ length: MAX_NODES - 1 }, (_, i) => nodeNetwork(i + 2));
    expect(nodes[0]).toEqual({ index: 2, name: 'kubectl-build-node-2', ip: '10.243.0.2', podSubnet: '10.244.1.0/24', podGateway: '10.244.1.1', cgroupRoot: '/kubectl-build-node-2' });
    for (const key of ['name', 'ip', 'podSubnet', 'cgroupRoot'] as const) expect(new Set(nodes.map((node) => node[key])).size).toBe(nodes.length);
    for (const node of nodes) expect(node.podSubnet).toMatch(/^10\.244\.\d+\.0\/24$/); // inside CLUSTER_NETWORK.clusterCidr
    expect(() => nodeNetwork(MAX_NODES + 1)).toThrow(/outside/);
    expect(() => nodeNetwork(0)).toThrow(/outside/);
  });

  it("writes each node's own addresses into its CNI network, kubelet and kube-proxy configuration", () => {
    const node = nodeNetwork(3);
    const ipam = JSON.parse(cniConfig('/ipam', node)).plugins[0].ipam;
    expect(ipam.ranges).toEqual([[{ subnet: '10.244.2.0/24', gateway: '10.244.2.1' }]]);
    const kubelet = JSON.parse(kubeletConfig({ ...kubeletPaths, node }));
    expect(kubelet.address).toBe('10.243.0.3');
    expect(kubelet.cgroupRoot).toBe('/kubectl-build-node-3');
    const proxy = JSON.parse(kubeProxyConfig({ ...proxyPaths, node }));
    expect(proxy).toMatchObject({ hostnameOverride: 'kubectl-build-node-3', bindAddress: '10.243.0.3', nodePortAddresses: ['10.243.0.3/32'], clusterCIDR: CLUSTER_NETWORK.clusterCidr });
  });
});
