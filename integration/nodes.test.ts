// The local cluster with two nodes (hack/cluster up --nodes 2, which the suite starts when no cluster
// runs): each node runs Pods from its own containerd, pods of every node reach each other, Services,
// the registry; builders spread their replicas over the nodes, a context keeps going to the same pod
// across nodes, and --load puts the image on the node the CLI names (only there). What ran where is
// observed from outside the CLI: kubectl's view of pods and nodes, the addresses a RUN step writes
// into the image, each node's containerd image list.
import { execFile } from 'node:child_process';
import { writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { pickPod } from '../pkg/kube/builders.ts';
import { runCli, runCliUntil, type CliResult } from './harness/cli.ts';
import { useCluster, useClusterRegistry, writeBuildkitdConfig } from './harness/cluster.ts';
import { imageBytes } from './harness/images.ts';
import { manifestState } from './harness/registry-state.ts';
import { scratchDir } from './harness/index.ts';
import { skipUnlessPossible } from './harness/skip.ts';
import { useStepSignals } from './harness/step-signals.ts';

const run = promisify(execFile);
const cluster = useCluster();
const registry = useClusterRegistry();
const signals = useStepSignals(() => cluster().hostAddress);

function env(): NodeJS.ProcessEnv {
  return cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir });
}

function buildkit(args: string[]): Promise<CliResult> {
  return runCli('kubectl-buildkit', [...args, '-n', cluster().namespace], { env: env() });
}

function build(args: string[]): Promise<CliResult> {
  return runCli('kubectl-build', ['--progress=plain', '-n', cluster().namespace, ...args], { env: env() });
}

interface NodeSeen {
  readonly name: string;
  readonly ready: boolean;
}

async function nodes(): Promise<NodeSeen[]> {
  const list = JSON.parse(await cluster().kubectl(['get', 'nodes', '-o', 'json'])).items as Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }>;
  return list.map((node) => ({ name: node.metadata.name, ready: node.status.conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True') }));
}

/** The reason this file cannot run here (a cluster of one node), or undefined. */
async function needsTwoNodes(): Promise<string | undefined> {
  const count = (await nodes()).length;
  return count >= 2 ? undefined : `the cluster has ${count} node(s); these tests need 2 (hack/cluster down && hack/cluster up --nodes 2)`;
}

/** Starts a Pod pinned to `node` and waits until it runs (or returns its waiting reason when it cannot start). */
async function podOn(name: string, node: string, image: string, command: string[], pullPolicy: 'Always' | 'Never' = 'Never'): Promise<{ ip: string }> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { nodeName: node, restartPolicy: 'Never', containers: [{ name: 'main', image, imagePullPolicy: pullPolicy, command }] },
  };
  await cluster().kubectl(['apply', '-f', '-'], JSON.stringify(pod));
  await cluster().kubectl(['wait', `pod/${name}`, '--for=condition=Ready', '--timeout=90s']);
  return { ip: (await cluster().kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.podIP}'])).trim() };
}

/** What an HTTP GET of `path` from inside `pod` answers (status line and body), through busybox nc. */
async function httpFrom(pod: string, host: string, port: number | string, path: string): Promise<string> {
  return cluster().kubectl(['exec', pod, '--', 'sh', '-c', `printf 'GET ${path} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 10 ${host} ${port}`]);
}

/**
 * httpFrom until the answer contains `expected` (or 30 s have passed: then the last answer). A new
 * Service works once every node's kube-proxy has written its rules, a moment after it is made.
 */
async function httpFromOnce(pod: string, host: string, port: number, path: string, expected: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await httpFrom(pod, host, port, path).catch((error: unknown) => String(error));
    if (answer.includes(expected) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface PodSeen {
  readonly name: string;
  readonly ip: string;
  readonly node: string;
}

async function builderPods(builder: string): Promise<PodSeen[]> {
  const pods = JSON.parse(await cluster().kubectl(['get', 'pods', '-l', `kubectl-build.dev/builder=${builder}`, '-o', 'json'])).items as Array<{ metadata: { name: string }; spec: { nodeName: string }; status: { podIP: string } }>;
  return pods.map((pod) => ({ name: pod.metadata.name, ip: pod.status.podIP, node: pod.spec.nodeName }));
}

async function createBuilder(name: string, extra: string[]): Promise<PodSeen[]> {
  const config = writeBuildkitdConfig(registry(), scratchDir('config'));
  const created = await buildkit(['create', name, '--config', config, ...extra]);
  expect(created.status, created.stderr).toBe(0);
  return builderPods(name);
}

/**
 * A --per-node builder with the containerd worker (what --load needs), checked to have made a pod on
 * every node (its own output in the failure message); the node names sorted, and the pods.
 */
async function createLoaderOnEveryNode(name: string): Promise<{ all: string[]; pods: PodSeen[] }> {
  const all = (await nodes()).map((node) => node.name).sort();
  const config = writeBuildkitdConfig(registry(), scratchDir('config'));
  const created = await buildkit(['create', name, '--per-node', '--worker', 'containerd', '--config', config]);
  expect(created.status, created.stderr).toBe(0);
  expect(created.stderr).toContain(`one pod on each of ${all.length} node(s): ${all.join(', ')}`);
  const pods = await builderPods(name);
  expect(pods.map((pod) => pod.node).sort(), created.stderr).toEqual(all);
  return { all, pods };
}

/** `perPod` context folders per pod that the product's own pickPod sends to it (rendezvous hashing, README). */
function contextsOnPods(pods: readonly PodSeen[], perPod: number): Map<string, string[]> {
  const byPod = new Map<string, string[]>(pods.map((pod) => [pod.name, []]));
  const full = () => [...byPod.values()].every((dirs) => dirs.length >= perPod);
  for (let tries = 0; tries < 64 * perPod && !full(); tries++) {
    const dir = scratchDir('context');
    const chosen = pickPod(pods.map((pod) => ({ name: pod.name, node: pod.node, phase: 'Running', ready: true })), dir)?.name;
    const dirs = chosen === undefined ? undefined : byPod.get(chosen);
    if (dirs && dirs.length < perPod) dirs.push(dir);
  }
  expect(full(), `not ${perPod} context folders for each pod in ${64 * perPod} tries`).toBe(true);
  return byPod;
}

/** One context folder per pod that the product's own pickPod sends to it. */
function contextsPerPod(pods: readonly PodSeen[]): Map<string, string> {
  return new Map([...contextsOnPods(pods, 1)].map(([pod, [dir]]) => [pod, dir ?? '']));
}

/** A RUN step's shell that writes the addresses of the network it runs in and a value unique to the run. */
const WHERE = `{ ip -4 -o addr | awk '{ sub("/.*", "", $4); print "address " $4 }'; echo "run $(cat /proc/sys/kernel/random/uuid)"; }`;

async function imageText(reference: string): Promise<string> {
  return imageBytes({ ...registry().registry, files: registry().files }, reference);
}

/** A builder of 2 runc replicas, the first of its pods (the one a test takes away), and a context folder that goes to it. */
async function builderWithVictim(name: string): Promise<{ victim: PodSeen; dir: string }> {
  const pods = await createBuilder(name, ['--replicas', '2', '--worker', 'runc']);
  const [victim] = pods;
  if (!victim) throw new Error('no builder pod');
  return { victim, dir: contextsPerPod(pods).get(victim.name) ?? '' };
}

/**
 * After `victim` went away mid-build: the same context again goes to a pod that runs (the other
 * one, or the victim's replacement once ready), and the step runs there (its address in the image).
 */
async function expectNextBuildOnLivePod(builder: string, victim: PodSeen, dir: string, tag: string): Promise<void> {
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN ${WHERE} > /where\n`);
  const next = await build(['--builder', builder, '-t', tag, '--push', dir]);
  expect(next.status, next.stderr).toBe(0);
  const chosen = /: pod (\S+) on node (\S+)/.exec(next.stderr)?.[1];
  expect(chosen).not.toBe(victim.name);
  const live = await builderPods(builder);
  const ranOn = live.find((pod) => pod.name === chosen);
  expect(ranOn, `${chosen} is not among the builder's pods ${JSON.stringify(live)}`).toBeDefined();
  expect(await imageText(tag)).toContain(`address ${ranOn?.ip}\n`);
}

/** Whether `reference` is in the containerd of each local node ('present' | 'absent'); listing failures throw. */
async function imageOnNodes(reference: string): Promise<Record<string, 'present' | 'absent'>> {
  const seen: Record<string, 'present' | 'absent'> = {};
  for (const node of cluster().localNodes) {
    const { stdout } = await run('ctr', ['--address', node.containerdSocket, '-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' });
    seen[node.name] = stdout.split('\n').includes(reference) ? 'present' : 'absent';
  }
  return seen;
}

describe('a local cluster of two nodes', () => {
  it('has both nodes Ready, each running Pods of the locally imported image from its own containerd', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    const all = await nodes();
    expect(all.every((node) => node.ready), JSON.stringify(all)).toBe(true);
    for (const [n, node] of all.entries()) {
      await podOn(`imported-${n}`, node.name, 'localhost/kubectl-build/busybox:latest', ['sleep', '3600']);
      const pod = JSON.parse(await cluster().kubectl(['get', 'pod', `imported-${n}`, '-o', 'json']));
      expect(pod.spec.nodeName).toBe(node.name);
      expect(pod.status.containerStatuses[0].ready).toBe(true);
    }
    if (cluster().local) {
      // Each node has its own containerd, with the images imported into each.
      const sockets = new Set(cluster().localNodes.map((node) => node.containerdSocket));
      expect(sockets.size).toBe(cluster().localNodes.length);
      expect(Object.values(await imageOnNodes('localhost/kubectl-build/busybox:latest')).every((state) => state === 'present')).toBe(true);
    }
  });

  it('lets pods of every node reach each other, a Service over each, and the registry; each node pulls from it', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    const all = await nodes();
    const servers: Array<{ name: string; ip: string; service: string }> = [];
    for (const [n, node] of all.slice(0, 2).entries()) {
      const name = `web-${n}`;
      // httpd serves a file naming the pod: who answered is then plain.
      const { ip } = await podOn(name, node.name, 'localhost/kubectl-build/busybox:latest',
        ['sh', '-c', `mkdir -p /www && echo "served by ${name}" > /www/who && exec httpd -f -p 8080 -h /www`]);
      await cluster().kubectl(['expose', 'pod', name, '--port', '80', '--target-port', '8080', '--name', name]);
      const service = (await cluster().kubectl(['get', 'service', name, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
      servers.push({ name, ip, service });
    }
    for (const from of servers) {
      for (const to of servers) {
        expect(await httpFrom(from.name, to.ip, 8080, '/who'), `${from.name} -> pod ${to.name}`).toContain(`served by ${to.name}`);
        expect(await httpFromOnce(from.name, to.service, 80, '/who', `served by ${to.name}`), `${from.name} -> Service ${to.name}`).toContain(`served by ${to.name}`);
      }
      const [registryHost, registryPort] = registry().host.split(':');
      expect(await httpFrom(from.name, registryHost ?? '', registryPort ?? '', '/v2/'), `${from.name} -> registry`).toMatch(/^HTTP\/1\.[01] (200|401) /);
    }
    // The kubelet of each node pulls from the registry (its containerd reaches it too).
    for (const [n, node] of all.slice(0, 2).entries()) {
      await podOn(`pulled-${n}`, node.name, registry().baseImage, ['sleep', '3600'], 'Always');
    }
  });
});

describe('builders over two nodes', () => {
  it('spreads create --replicas 2 over both nodes, builds through each, and keeps each context on its pod across nodes', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    const pods = await createBuilder('spread', ['--replicas', '2', '--worker', 'runc']);
    expect(pods).toHaveLength(2);
    expect(new Set(pods.map((pod) => pod.node)).size, JSON.stringify(pods)).toBe(2);

    const byPod = contextsPerPod(pods);
    const tag = (pod: string) => `${registry().host}/nodes/spread:${pod}`;
    const buildEach = () => Promise.all(pods.map(async (pod) => {
      const dir = byPod.get(pod.name) ?? '';
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN ${WHERE} > /where\n`);
      const result = await build(['--builder', 'spread', '-t', tag(pod.name), '--push', dir]);
      expect(result.status, result.stderr).toBe(0);
      // The CLI names the pod and the node it chose.
      expect(result.stderr).toContain(`pod ${pod.name} on node ${pod.node}`);
      return imageText(tag(pod.name));
    }));

    const first = await buildEach();
    // The step ran in the pod the context hashes to: its address is in the image.
    pods.forEach((pod, n) => expect(first[n]).toContain(`address ${pod.ip}\n`));
    // Two more rounds: each context goes back to its pod (on its node), whose cache answers with the
    // first run's output; on the other pod the step would run again and write another run id.
    for (let round = 0; round < 2; round++) expect(await buildEach()).toEqual(first);
    expect((await buildkit(['rm', 'spread'])).status).toBe(0);
  });

  it('--loads into the containerd of the node the CLI names, only there, where a pinned Pod runs it without pulling', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    skipUnlessPossible(context, cluster().local ? undefined : "needs the local cluster, to read each node's containerd");
    const pods = await createBuilder('loader', ['--replicas', '2', '--worker', 'containerd']);
    expect(new Set(pods.map((pod) => pod.node)).size, JSON.stringify(pods)).toBe(2);
    const byPod = contextsPerPod(pods);
    const suffix = Date.now().toString(36);
    try {
      for (const [n, pod] of pods.entries()) {
        const dir = byPod.get(pod.name) ?? '';
        writeFileSync(join(dir, 'Dockerfile'), `FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "echo", "loaded on ${pod.node}"]\n`);
        copyFileSync('/bin/busybox', join(dir, 'busybox'));
        const name = `kubectl-build-test/nodes-${suffix}:${n}`;
        const result = await build(['--builder', 'loader', '--load', '-t', name, dir]);
        expect(result.status, result.stderr).toBe(0);
        expect(result.stderr).toContain(`loaded into the container runtime of the builder's node (pod ${pod.name} on node ${pod.node})`);
        const other = cluster().localNodes.find((node) => node.name !== pod.node)?.name ?? '';
        expect(await imageOnNodes(`docker.io/${name}`)).toEqual({ [pod.node]: 'present', [other]: 'absent' });
        // A Pod pinned to that node runs it without pulling.
        const runner = `loaded-${n}`;
        await cluster().kubectl(['run', runner, `--image=${name}`, '--image-pull-policy=Never', '--restart=Never', `--overrides=${JSON.stringify({ spec: { nodeName: pod.node } })}`]);
        await cluster().kubectl(['wait', `pod/${runner}`, '--for=jsonpath={.status.phase}=Succeeded', '--timeout=90s']);
        expect(await cluster().kubectl(['logs', runner])).toBe(`loaded on ${pod.node}\n`);
      }
    } finally {
      await cluster().kubectl(['delete', 'pod', 'loaded-0', 'loaded-1', '--ignore-not-found', '--wait=true']).catch(() => {});
      for (const node of cluster().localNodes) {
        for (const n of [0, 1]) await run('ctr', ['--address', node.containerdSocket, '-n', 'k8s.io', 'images', 'rm', `docker.io/kubectl-build-test/nodes-${suffix}:${n}`]).catch(() => {});
      }
    }
    expect((await buildkit(['rm', 'loader'])).status).toBe(0);
  });

  it('create --per-node puts one pod on each node that fits, and says so when none does', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    const all = (await nodes()).map((node) => node.name).sort();
    const config = writeBuildkitdConfig(registry(), scratchDir('config'));
    const created = await buildkit(['create', 'everywhere', '--per-node', '--worker', 'runc', '--config', config]);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stderr).toContain(`--per-node: one pod on each of ${all.length} node(s): ${all.join(', ')}`);
    expect((await builderPods('everywhere')).map((pod) => pod.node).sort()).toEqual(all);
    // Asking for more pods than nodes would leave one Pending: the anti-affinity is required.
    const deployment = JSON.parse(await cluster().kubectl(['get', 'deployment', 'everywhere', '-o', 'json']));
    expect(deployment.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect((await buildkit(['rm', 'everywhere'])).status).toBe(0);
    // A node selector that no node matches: one clear error, nothing created.
    const none = await buildkit(['create', 'nowhere', '--per-node', '--node-selector', 'kubectl-build.dev/no-such-label=1']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^error: no node takes the pods of the builder "nowhere" .*--per-node has nothing to do$/m);
    expect(await cluster().kubectl(['get', 'deployments', '-l', 'kubectl-build.dev/builder=nowhere', '-o', 'name'])).toBe('');
  });

  it('--node picks the pod on that node: --load on every node of a --per-node builder, then a Pod pinned to each node runs it', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    skipUnlessPossible(context, cluster().local ? undefined : "needs the local cluster, to read each node's containerd");
    const { all, pods } = await createLoaderOnEveryNode('each');
    const name = `kubectl-build-test/everywhere-${Date.now().toString(36)}:1`;
    const dir = scratchDir('context');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "echo", "loaded everywhere"]\n');
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    try {
      for (const node of all) {
        const result = await build(['--builder', 'each', '--node', node, '--load', '-t', name, dir]);
        expect(result.status, result.stderr).toBe(0);
        const pod = pods.find((candidate) => candidate.node === node);
        expect(result.stderr).toContain(`loaded into the container runtime of the builder's node (pod ${pod?.name} on node ${node})`);
      }
      expect(await imageOnNodes(`docker.io/${name}`)).toEqual(Object.fromEntries(all.map((node) => [node, 'present'])));
      for (const [n, node] of all.entries()) {
        const runner = `everywhere-${n}`;
        await cluster().kubectl(['run', runner, `--image=${name}`, '--image-pull-policy=Never', '--restart=Never', `--overrides=${JSON.stringify({ spec: { nodeName: node } })}`]);
        await cluster().kubectl(['wait', `pod/${runner}`, '--for=jsonpath={.status.phase}=Succeeded', '--timeout=90s']);
        expect(await cluster().kubectl(['logs', runner])).toBe('loaded everywhere\n');
      }
    } finally {
      await cluster().kubectl(['delete', 'pod', ...all.map((_, n) => `everywhere-${n}`), '--ignore-not-found', '--wait=true']).catch(() => {});
      for (const node of cluster().localNodes) await run('ctr', ['--address', node.containerdSocket, '-n', 'k8s.io', 'images', 'rm', `docker.io/${name}`]).catch(() => {});
    }
    // A node where the builder has no pod: one clear error naming the nodes it has.
    const nowhere = await build(['--builder', 'each', '--node', 'no-such-node', '--load', '-t', name, dir]);
    expect(nowhere.status).toBe(1);
    expect(nowhere.stderr).toContain(`error: the builder "each" has no ready pod on node no-such-node (its ready pods run on ${all.join(', ')})`);
    expect((await buildkit(['rm', 'each'])).status).toBe(0);
  });

  it('--all-nodes loads the image on every node of the builder in one build: a Deployment runs it on each node without pulling', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    skipUnlessPossible(context, cluster().local ? undefined : "needs the local cluster, to read each node's containerd");
    const { all, pods } = await createLoaderOnEveryNode('all');
    const podOn = (node: string) => pods.find((pod) => pod.node === node)?.name;
    const suffix = Date.now().toString(36);
    const name = `kubectl-build-test/all-nodes-${suffix}:1`;
    const dir = scratchDir('context');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "sh", "-c", "echo running; exec /busybox sleep 3600"]\n');
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    const deployment = `all-nodes-${suffix}`;
    try {
      const result = await build(['--builder', 'all', '--all-nodes', '-t', name, dir]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain(`on each of its ${all.length} node(s): ${all.map((node) => `pod ${podOn(node)} on node ${node}`).join(', ')}`);
      for (const node of all) expect(result.stderr).toContain(`loaded docker.io/${name} into the container runtime of node ${node} (pod ${podOn(node)})`);
      expect(result.stderr).toContain(`loaded on every node of the builder "all" (${all.join(', ')})`);
      expect(await imageOnNodes(`docker.io/${name}`)).toEqual(Object.fromEntries(all.map((node) => [node, 'present'])));
      // A Deployment with one replica per node (required anti-affinity) that may not pull: each runs.
      await cluster().kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: deployment },
        spec: {
          replicas: all.length,
          selector: { matchLabels: { app: deployment } },
          template: {
            metadata: { labels: { app: deployment } },
            spec: {
              affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: deployment } }, topologyKey: 'kubernetes.io/hostname' }] } },
              containers: [{ name: 'main', image: name, imagePullPolicy: 'Never' }],
            },
          },
        },
      }));
      await cluster().kubectl(['rollout', 'status', `deployment/${deployment}`, '--timeout=90s']);
      const running = JSON.parse(await cluster().kubectl(['get', 'pods', '-l', `app=${deployment}`, '-o', 'json'])).items as Array<{ spec: { nodeName: string }; status: { containerStatuses: Array<{ ready: boolean }> } }>;
      expect(running.map((pod) => pod.spec.nodeName).sort()).toEqual(all);
      expect(running.every((pod) => pod.status.containerStatuses[0]?.ready)).toBe(true);

      // A build that fails on one node only (a containerd worker's RUN step runs in the node's
      // network: it fails where it sees that node's address): the error names that node and the
      // node that has the image, which keeps it.
      const [kept, failing] = all;
      const failingAddress = (await cluster().kubectl(['get', 'node', failing ?? '', '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'])).trim();
      const partial = `kubectl-build-test/all-nodes-${suffix}:2`;
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nARG FAIL_AT\nRUN if ip -4 -o addr | grep -q " $FAIL_AT/"; then echo "refusing to build here" >&2; exit 3; fi\n`);
      const half = await build(['--builder', 'all', '--all-nodes', '--build-arg', `FAIL_AT=${failingAddress}`, '-t', partial, dir]);
      expect(half.status, half.stderr).toBe(1);
      expect(half.stderr).toMatch(new RegExp(`^error: the image is loaded on node ${kept} only, not on node ${failing}: .*exit code: 3\\n  refusing to build here$`, 'm'));
      expect(half.stderr).toContain(`loaded docker.io/${partial} into the container runtime of node ${kept}`);
      expect(await imageOnNodes(`docker.io/${partial}`)).toEqual({ [kept ?? '']: 'present', [failing ?? '']: 'absent' });
    } finally {
      await cluster().kubectl(['delete', 'deployment', deployment, '--ignore-not-found', '--wait=true']).catch(() => {});
      for (const node of cluster().localNodes) {
        for (const tag of ['1', '2']) await run('ctr', ['--address', node.containerdSocket, '-n', 'k8s.io', 'images', 'rm', `docker.io/kubectl-build-test/all-nodes-${suffix}:${tag}`]).catch(() => {});
      }
    }
    // With --push there is no single image to push: refused before anything connects.
    const refused = await build(['--builder', 'all', '--all-nodes', '--push', '-t', name, dir]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('error: --all-nodes builds one image per node, so it cannot be combined with --push');
    expect((await buildkit(['rm', 'all'])).status).toBe(0);
  });

  it('--all-nodes on a builder of one pod names the node that has no builder pod, so no image', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    skipUnlessPossible(context, cluster().local ? undefined : "needs the local cluster, to read each node's containerd");
    const [pod] = await createBuilder('lone', ['--replicas', '1', '--worker', 'containerd']);
    if (!pod) throw new Error('no builder pod');
    const other = (await nodes()).map((node) => node.name).find((node) => node !== pod.node) ?? '';
    const name = `kubectl-build-test/lone-${Date.now().toString(36)}:1`;
    const dir = scratchDir('context');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /busybox\n');
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    try {
      const result = await build(['--builder', 'lone', '--all-nodes', '-t', name, dir]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain(`loaded docker.io/${name} into the container runtime of node ${pod.node} (pod ${pod.name})`);
      expect(result.stderr).toContain(`node ${other} can run the builder's pods but has none, so the image is not there (kubectl buildkit create lone --per-node puts one on every node)`);
      expect(await imageOnNodes(`docker.io/${name}`)).toEqual({ [pod.node]: 'present', [other]: 'absent' });
    } finally {
      for (const node of cluster().localNodes) await run('ctr', ['--address', node.containerdSocket, '-n', 'k8s.io', 'images', 'rm', `docker.io/${name}`]).catch(() => {});
    }
    expect((await buildkit(['rm', 'lone'])).status).toBe(0);
  });

  it('fails a build whose pod is deleted mid-build, pushing nothing, and sends the next build of that context to a live pod', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    const { victim, dir } = await builderWithVictim('survivor');
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo started && sleep 60\n`);
    const tag = `${registry().host}/nodes/survivor:1`;
    const running = await runCliUntil('kubectl-build', ['--progress=plain', '-n', cluster().namespace, '--builder', 'survivor', '-t', tag, '--push', dir], 'started', { env: env() });
    expect(running.stderr).toContain(`pod ${victim.name} on node ${victim.node}`);
    await cluster().kubectl(['delete', 'pod', victim.name, '--grace-period=0', '--force']);
    const { status, stderr } = await running.done;
    expect(status).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: the builder pod ${victim.name} (was deleted|stopped \\(\\w+\\)) during the build, so nothing was built or pushed$`, 'm'));
    expect(await manifestState(registry().registry, tag)).toBe('absent');

    await expectNextBuildOnLivePod('survivor', victim, dir, tag);
    expect((await buildkit(['rm', 'survivor'])).status).toBe(0);
  });

  it('fails a build whose node is drained while its RUN step runs, pushing nothing, and sends the next build of that context to a live pod', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    const { victim, dir } = await builderWithVictim('drained');
    const hold = `drain-${Date.now().toString(36)}`;
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN wget -qO- ${signals().url}/hold/${hold}\n`);
    const tag = `${registry().host}/nodes/drained:1`;
    const running = build(['--builder', 'drained', '-t', tag, '--push', dir]);
    try {
      await signals().holdOpened(hold);
      // The node is drained of this builder's pods only (the cluster is shared: its other pods
      // stay), with a short grace period, so that the node is cordoned for a few seconds only.
      await cluster().kubectl(['drain', victim.node, '--pod-selector', 'kubectl-build.dev/builder=drained', '--ignore-daemonsets', '--delete-emptydir-data', '--grace-period=1', '--timeout=90s']);
      const { status, stderr } = await running;
      expect(status, stderr).toBe(1);
      expect(stderr).toContain(`pod ${victim.name} on node ${victim.node}`);
      expect(stderr).toMatch(new RegExp(`^error: the builder pod ${victim.name} was evicted( through the Eviction API)? from node ${victim.node}, which is cordoned \\(drained\\) during the build, so nothing was built or pushed$`, 'm'));
      expect(await signals().holdOutcome(hold)).toBe('dropped');
      expect(await manifestState(registry().registry, tag)).toBe('absent');
    } finally {
      await cluster().kubectl(['uncordon', victim.node]);
    }
    await expectNextBuildOnLivePod('drained', victim, dir, tag);
    expect((await buildkit(['rm', 'drained'])).status).toBe(0);
  });

  it('runs 8 concurrent kubectl builds of different contexts on a 2-replica builder over both nodes: all succeed, each on its pod', async (context) => {
    skipUnlessPossible(context, await needsTwoNodes());
    const pods = await createBuilder('concurrent', ['--replicas', '2', '--worker', 'runc']);
    expect(new Set(pods.map((pod) => pod.node)).size, JSON.stringify(pods)).toBe(2);
    // Four contexts that the CLI sends to each pod: the eight builds land on both, four each.
    const builds = [...contextsOnPods(pods, 4)].flatMap(([pod, dirs]) => dirs.map((dir) => ({ pod, dir })));
    const tag = (n: number) => `${registry().host}/nodes/concurrent:${n}`;
    // Concurrent first pushes of one base layer can race inside Debian's docker-registry (see
    // cluster.test.ts): the layer is put in the repository first.
    const { registry: target, files } = registry();
    await skopeo(['copy', '--quiet', ...skopeoRegistryFlags(target, files, 'src'), ...skopeoRegistryFlags(target, files, 'dest'), `docker://${registry().baseImage}`, `docker://${registry().host}/nodes/concurrent:base`]);
    const results = await Promise.all(builds.map(({ dir }, n) => {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN { echo "context ${n}"; ${WHERE}; } > /where\n`);
      return build(['--builder', 'concurrent', '-t', tag(n), '--push', dir]);
    }));
    for (const [n, { pod }] of builds.entries()) {
      const result = results[n];
      expect(result?.status, result?.stderr).toBe(0);
      const seen = pods.find((candidate) => candidate.name === pod);
      expect(result?.stderr).toContain(`pod ${pod} on node ${seen?.node}`);
      // The registry holds each image, made on the pod its context maps to.
      const text = await imageText(tag(n));
      expect(text).toContain(`context ${n}\n`);
      expect(text).toContain(`address ${seen?.ip}\n`);
    }
    expect((await buildkit(['rm', 'concurrent'])).status).toBe(0);
  });
});
