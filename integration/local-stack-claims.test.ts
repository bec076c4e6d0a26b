// What the README's "The local stack" section says of the local cluster, observed from this machine
// rather than from what hack/cluster records: the Kubernetes version the API server reports, the
// node's name and address, the API server's listening sockets and the names its serving certificate
// covers, the `kubernetes` Service's address, and the images imported into the node's containerd.
// Services, webhooks and the API from pods: integration/cluster-services.test.ts.
import { execFile } from 'node:child_process';
import { connect, type PeerCertificate } from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it, type TestContext } from 'vitest';
import { readCluster } from '../hack/lib/cluster/index.ts';
import { LOCAL_CLUSTER_DIR, useCluster } from './harness/cluster.ts';
import { skipUnlessPossible } from './harness/skip.ts';

const run = promisify(execFile);
const cluster = useCluster();

/** The API server's address as the admin kubeconfig names it. */
function apiServer(context: TestContext): URL {
  skipUnlessPossible(context, cluster().local ? undefined : 'TEST_KUBECONFIG names another cluster: these are facts of the local one');
  const state = readCluster(LOCAL_CLUSTER_DIR);
  if (!state) throw new Error(`the local cluster has no state in ${LOCAL_CLUSTER_DIR}`);
  return new URL(state.server);
}

function servingCertificate(server: URL): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.hostname, port: Number(server.port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('the local cluster, as the README describes it', () => {
  it('is Kubernetes 1.34, its first node kubectl-build-node at 10.244.0.1, any more kubectl-build-node-N at 10.243.0.N', async (context) => {
    apiServer(context);
    const version = JSON.parse(await cluster().kubectl(['version', '-o', 'json'])) as { serverVersion: { major: string; minor: string } };
    expect([version.serverVersion.major, version.serverVersion.minor]).toEqual(['1', '34']);
    const nodes = JSON.parse(await cluster().kubectl(['get', 'nodes', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; status: { addresses: Array<{ type: string; address: string }> } }> };
    // One node unless `hack/cluster up --nodes N` made more (the suite's own start makes two).
    const expected = nodes.items.map((_, n) => (n === 0 ? ['kubectl-build-node', '10.244.0.1'] : [`kubectl-build-node-${n + 1}`, `10.243.0.${n + 1}`]));
    const found = nodes.items.map((node) => [node.metadata.name, node.status.addresses.find((address) => address.type === 'InternalIP')?.address]);
    expect(found.sort()).toEqual(expected.sort());
  });

  it('serves the API on the node address only, with a certificate for the kubernetes Service', async (context) => {
    const server = apiServer(context);
    expect(server.hostname).toBe('10.244.0.1');
    // Every socket listening on the API server's port: the bridge address, no other interface.
    const { stdout } = await run('ss', ['-ltnH', `sport = :${server.port}`], { encoding: 'utf8' });
    expect(stdout.trim().split('\n').map((line) => line.trim().split(/\s+/)[3])).toEqual([`10.244.0.1:${server.port}`]);
    const names = (await servingCertificate(server)).subjectaltname?.split(', ') ?? [];
    expect(names).toEqual(expect.arrayContaining(['IP Address:10.96.0.1', 'DNS:kubernetes.default.svc']));
    expect(await cluster().kubectl(['get', 'service', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}'])).toBe('10.96.0.1');
  });

  it('has the pause, busybox and BuildKit images (and BuildKit -rootless) made here, in the node\'s containerd', async (context) => {
    apiServer(context);
    const state = readCluster(LOCAL_CLUSTER_DIR);
    const { stdout } = await run('ctr', ['--address', state?.containerdSocket ?? '', '-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' });
    const images = stdout.trim().split('\n');
    const ours = images.filter((image) => image.startsWith('localhost/kubectl-build/'));
    for (const name of ['pause', 'busybox', 'buildkit']) expect(ours.some((image) => image.startsWith(`localhost/kubectl-build/${name}:`)), name).toBe(true);
    expect(ours.some((image) => /^localhost\/kubectl-build\/buildkit:.+-rootless$/.test(image))).toBe(true);
  });
});
