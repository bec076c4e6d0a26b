// The local cluster starts again after its processes were killed without `hack/cluster down`, as
// happens when a session or a CI job ends or a machine stops: what outlives the processes (the
// kubelet's tmpfs mounts of service account tokens, pod network namespaces, an extra node's
// namespaces and cgroups) is cleared, and every node comes back Ready. Found the hard way: the
// token mounts made the kubelet's folder unremovable, and every cluster suite after a killed
// cluster failed in its set-up.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clusterNodes, processRunning, readCluster } from '../hack/lib/cluster/index.ts';
import { mountsUnder } from '../hack/lib/mounts.ts';
import { tool } from '../hack/lib/paths.ts';
import { LOCAL_CLUSTER_DIR, useCluster } from './harness/cluster.ts';
import { skipUnlessPossible } from './harness/skip.ts';

const run = promisify(execFile);
const cluster = useCluster();

/** Every process in a pods cgroup of a node (node 1's kubepods, an extra node's under its root). */
function podProcesses(): number[] {
  const pids: number[] = [];
  const walk = (folder: string): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(folder, entry.name));
      else if (entry.name === 'cgroup.procs') pids.push(...readFileSync(join(folder, entry.name), 'utf8').split('\n').filter(Boolean).map(Number));
    }
  };
  const hierarchy = '/sys/fs/cgroup/pids';
  walk(join(hierarchy, 'kubepods'));
  for (const entry of readdirSync(hierarchy)) if (entry.startsWith('kubectl-build-node-')) walk(join(hierarchy, entry));
  return pids;
}

async function shimProcesses(): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-f', 'containerd-shim']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

describe('the local cluster', () => {
  it('starts again after its processes were killed without hack/cluster down, clearing the mounts and namespaces they left', async (context) => {
    skipUnlessPossible(context, cluster().local ? undefined : 'TEST_KUBECONFIG names a cluster of its own; this is about the local one');
    const before = readCluster(LOCAL_CLUSTER_DIR);
    if (!before) throw new Error('the local cluster has no state');
    const nodeNames = clusterNodes(before).map((node) => node.name);
    // A Pod on every node: each gets a service account token, a tmpfs the kubelet mounts.
    for (const [n, node] of nodeNames.entries()) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `token-${n}` }, spec: { nodeName: node, containers: [{ name: 'main', image: before.images.busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] } };
      await cluster().kubectl(['apply', '-f', '-'], JSON.stringify(pod));
    }
    await cluster().kubectl(['wait', '--for=condition=Ready', 'pod', '--all', '--timeout=120s']);
    const kubeletFolder = join(LOCAL_CLUSTER_DIR, 'kubelet');
    // Node 1's are mounted here (an extra node mounts in its own mount namespace).
    expect(mountsUnder(kubeletFolder).length).toBeGreaterThanOrEqual(1);

    // As a session's end does: every process killed at once, nothing told to clean up.
    killAll([...before.processes.map((service) => service.pid), ...(await shimProcesses()), ...podProcesses()]);
    await expect.poll(() => before.processes.some(processRunning)).toBe(false);
    expect(mountsUnder(kubeletFolder).length).toBeGreaterThan(0);

    const oldMounts = mountsUnder(kubeletFolder);
    const up = await run(process.execPath, ['hack/cluster.ts', 'up', '--nodes', String(nodeNames.length)], { encoding: 'utf8' })
      .then(({ stderr }) => ({ code: 0, stderr }))
      .catch((error: { stderr?: string; code?: number }) => ({ code: error.code ?? 1, stderr: error.stderr ?? String(error) }));
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('clearing what the last cluster left');
    const after = readCluster(LOCAL_CLUSTER_DIR);
    if (!after) throw new Error('the local cluster has no state after hack/cluster up');
    expect(clusterNodes(after).map((node) => node.name)).toEqual(nodeNames);
    const { stdout } = await run(tool('kubectl'), ['--kubeconfig', after.kubeconfig, 'get', 'nodes', '-o', 'json'], { encoding: 'utf8' });
    const nodes = JSON.parse(stdout) as { items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }> };
    const ready = nodes.items.filter((node) => node.status.conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True')).map((node) => node.metadata.name);
    expect(ready.sort()).toEqual([...nodeNames].sort());
    // The killed pods' token mounts are gone, not hidden under a new folder.
    const stillMounted = new Set(mountsUnder(kubeletFolder));
    expect(oldMounts.filter((target) => stillMounted.has(target))).toEqual([]);
  }, 300_000);
});
