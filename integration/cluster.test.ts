// kubectl build and kubectl buildkit against a real cluster (the local one of hack/cluster, or
// TEST_KUBECONFIG + TEST_REGISTRY): builders created and removed, builds reaching buildkitd through
// pods/exec, images pushed and run as pods, --load, and what a user sees when things go wrong.
// Where a build ran is observed from outside the CLI: its RUN steps write the pod's addresses (runc
// workers share the pod's network) and the machine they run on into the image, compared with what
// kubectl says of the builder's pods and their nodes.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectRawManifest, skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { pickPod } from '../pkg/kube/builders.ts';
import { runCli, runCliUntil, type CliResult } from './harness/cli.ts';
import { useCluster, useClusterRegistry, writeBuildkitdConfig, type ClusterRegistry, type TestCluster } from './harness/cluster.ts';
import { cosign, COSIGN_VERSIONS, verifyWithKey } from './harness/cosign.ts';
import { imageBytes } from './harness/images.ts';
import { scratchDir } from './harness/index.ts';
import { manifestState } from './harness/registry-state.ts';
import { useStepSignals } from './harness/step-signals.ts';

const run = promisify(execFile);
const cluster = useCluster();
const registry = useClusterRegistry();
const signals = useStepSignals(() => cluster().hostAddress);

function context(files: Record<string, string>): string {
  const dir = scratchDir('context');
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  return dir;
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir, ...extra });
}

function buildkit(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli('kubectl-buildkit', [...args, '-n', cluster().namespace], { env: env(extra) });
}

function build(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli('kubectl-build', ['--progress=plain', '-n', cluster().namespace, ...args], { env: env(extra) });
}

function tagState(target: ClusterRegistry, reference: string) {
  return manifestState(target.registry, reference);
}

/** What `reference` (in the cluster registry) holds, as text: its files' bytes among the rest. */
function imageText(reference: string): Promise<string> {
  return imageBytes({ ...registry().registry, files: registry().files }, reference);
}

interface PodSeen {
  readonly name: string;
  readonly ip: string;
  readonly nodeArch: string;
  readonly pinnedArch?: string;
}

/** The builder's pods as kubectl reports them: address, and the architecture of the node each runs on. */
async function builderPods(name: string): Promise<PodSeen[]> {
  const pods = JSON.parse(await cluster().kubectl(['get', 'pods', '-l', `kubectl-build.dev/builder=${name}`, '-o', 'json'])).items;
  return Promise.all(pods.map(async (pod: { metadata: { name: string }; spec: { nodeName: string; nodeSelector?: Record<string, string> }; status: { podIP: string } }) => {
    const node = JSON.parse(await cluster().kubectl(['get', 'node', pod.spec.nodeName, '-o', 'json']));
    const pinnedArch = pod.spec.nodeSelector?.['kubernetes.io/arch'];
    return { name: pod.metadata.name, ip: pod.status.podIP, nodeArch: node.status.nodeInfo.architecture, ...(pinnedArch ? { pinnedArch } : {}) };
  }));
}

/** A RUN step's shell that writes the addresses of the network it runs in and its machine, one per line. */
const WHERE = `{ ip -4 -o addr | awk '{ sub("/.*", "", $4); print "address " $4 }'; echo "machine $(uname -m)"; }`;

/** The pod whose address the build step wrote into `text` (undefined when it names none of them). */
function podIn(text: string, pods: readonly PodSeen[]): PodSeen | undefined {
  const addresses = [...text.matchAll(/^address (\S+)$/gm)].map((match) => match[1]);
  const found = pods.filter((pod) => addresses.includes(pod.ip));
  return found.length === 1 ? found[0] : undefined;
}

/** The digest of `list`'s image for linux/`arch`. */
async function platformDigest(list: string, arch: string): Promise<string> {
  const index = (await inspectRawManifest(registry().registry, registry().files, list)) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
  const entry = index.manifests.find((manifest) => manifest.platform.architecture === arch);
  if (!entry) throw new Error(`${list} has no image for ${arch}`);
  return entry.digest;
}

/** The image a builder runs unless told otherwise, as the README states it. */
const DEFAULT_BUILDKIT_IMAGE = 'docker.io/moby/buildkit:v0.34.2';

const UNAME_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };

/** Runs `image` as a Pod to completion and returns what it printed. */
/** Runs `image` as a Pod (on `node` when given: a loaded image is on its builder's node only). */
async function runPod(target: TestCluster, name: string, image: string, pullPolicy: 'Always' | 'Never', node?: string): Promise<string> {
  const pinned = node ? [`--overrides=${JSON.stringify({ spec: { nodeName: node } })}`] : [];
  await target.kubectl(['run', name, `--image=${image}`, `--image-pull-policy=${pullPolicy}`, '--restart=Never', ...pinned]);
  await target.kubectl(['wait', `pod/${name}`, '--for=jsonpath={.status.phase}=Succeeded', '--timeout=90s']);
  return target.kubectl(['logs', name]);
}

async function createBuilder(name: string, extra: string[] = []): Promise<CliResult> {
  const config = writeBuildkitdConfig(registry(), scratchDir('config'));
  const result = await buildkit(['create', name, '--config', config, ...extra]);
  expect(result.stderr).toContain(`builder "${name}" ready`);
  expect(result.status).toBe(0);
  // create returns once every pod is ready, as kubectl sees them (the CLI's word aside).
  const selector = ['-l', `kubectl-build.dev/builder=${name}`, '-o', 'json'];
  const deployments = JSON.parse(await cluster().kubectl(['get', 'deployments', ...selector])).items as Array<{ spec: { replicas: number } }>;
  const pods = JSON.parse(await cluster().kubectl(['get', 'pods', ...selector])).items as Array<{ status: { conditions?: Array<{ type: string; status: string }> } }>;
  const ready = pods.filter((pod) => pod.status.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'));
  expect(ready.length).toBe(deployments.reduce((sum, deployment) => sum + deployment.spec.replicas, 0));
  expect(ready.length).toBeGreaterThan(0);
  return result;
}

describe('kubectl buildkit create, kubectl build --push, and the pushed image running in the cluster', () => {
  it('creates a builder with its options, builds through pods/exec, pushes, and a Pod runs the pushed image', async () => {
    const created = await createBuilder('pusher', ['--worker', 'runc', '--env', 'BUILDKIT_STEP_LOG_MAX_SIZE=1048576', '--requests', 'cpu=100m,memory=64Mi', '--limits', 'memory=2Gi',
      '--node-selector', 'kubernetes.io/os=linux', '--tolerations', 'dedicated=builds:NoSchedule']);
    expect(created.stderr).toContain('runc worker');
    const deployment = JSON.parse(await cluster().kubectl(['get', 'deployment', 'pusher', '-o', 'json']));
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(deployment.spec.template.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'builds', effect: 'NoSchedule' }]);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'BUILDKIT_STEP_LOG_MAX_SIZE', value: '1048576' });
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '2Gi' } });
    expect(container.securityContext).toEqual({ privileged: true });
    // KUBECTL_BUILDKIT_IMAGE names the image (the harness's, on the local cluster), else the README's default.
    expect(container.image).toBe(cluster().buildkitImage || DEFAULT_BUILDKIT_IMAGE);
    // --config lives in a ConfigMap mounted where buildkitd reads it.
    const configMap = JSON.parse(await cluster().kubectl(['get', 'configmap', 'pusher-buildkitd-config', '-o', 'json']));
    expect(configMap.data['buildkitd.toml']).toContain(registry().host);
    // ...where buildkitd reads it, in the running pod.
    const podName = (await cluster().kubectl(['get', 'pods', '-l', 'kubectl-build.dev/builder=pusher', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(await cluster().kubectl(['exec', podName, '--', 'cat', '/etc/buildkit/buildkitd.toml'])).toBe(configMap.data['buildkitd.toml']);

    const tag = `${registry().host}/cluster/app:1`;
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo built by kubectl build in the cluster > /message\nCMD ["cat", "/message"]\n` });
    const result = await build(['--builder', 'pusher', '-t', tag, '--push', dir]);
    expect(result.stderr).toMatch(/building with the builder "pusher": pod pusher-\S+ on node \S+/);
    expect(result.stderr).toContain(`pushed ${tag} as sha256:`);
    expect(result.status).toBe(0);

    expect(await runPod(cluster(), 'pushed', tag, 'Always')).toBe('built by kubectl build in the cluster\n');

    const version = await buildkit(['version', '--builder', 'pusher']);
    expect(version.stdout).toMatch(/^github\.com\/moby\/buildkit v\d+\.\d+\.\d+/);
    expect(version.status).toBe(0);
  });

  it('creates the default builder on first use and --loads the image into the node, where a Pod runs it without pulling', async () => {
    const name = `loaded-${Date.now().toString(36)}`;
    // FROM scratch: the builder made on first use has no configuration for the plain-HTTP test registry.
    const dir = context({ Dockerfile: 'FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "echo", "loaded into the node"]\n' });
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    const result = await build(['-t', `kubectl-build-test/${name}:1`, dir]);
    expect(result.stderr).toContain('creating the builder "buildkit"');
    expect(result.stderr).toContain("loaded into the container runtime of the builder's node");
    expect(result.status).toBe(0);
    // The CLI names the node; on a cluster of several nodes the image is there only.
    const node = /loaded into the container runtime of the builder's node \(pod \S+ on node (\S+)\)/.exec(result.stderr)?.[1];
    expect(node).toBeTruthy();
    expect(await runPod(cluster(), 'loaded', `kubectl-build-test/${name}:1`, 'Never', node)).toBe('loaded into the node\n');
    // --load said outright does the same, beside a push-less -t.
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "echo", "loaded with --load"]\n');
    const explicit = await build(['--load', '-t', `kubectl-build-test/${name}:2`, dir]);
    expect(explicit.status, explicit.stderr).toBe(0);
    expect(await runPod(cluster(), 'loaded-explicitly', `kubectl-build-test/${name}:2`, 'Never', node)).toBe('loaded with --load\n');
    // Loaded images stay in the node's containerd across runs of the local cluster: remove these.
    if (cluster().local) {
      await cluster().kubectl(['delete', 'pod', 'loaded', 'loaded-explicitly', '--wait=true']);
      for (const version of [1, 2]) {
        for (const { containerdSocket } of cluster().localNodes) {
          await run('ctr', ['--address', containerdSocket, '-n', 'k8s.io', 'images', 'rm', `docker.io/kubectl-build-test/${name}:${version}`]).catch(() => {});
        }
      }
    }
  });

  it('lists builders with their status, pods, nodes and platforms, and removes one with everything create made', async () => {
    const listed = await buildkit(['ls']);
    expect(listed.status).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+WORKER\s+POD\s+NODE\s+PLATFORMS$/);
    const pusher = lines.find((line) => line.startsWith('pusher '));
    expect(pusher).toMatch(/^pusher\s+1\/1 ready\s+runc\s+pusher-\S+\s+\S+\s+.*linux\/amd64/);
    // The platforms are the daemon's own, as buildctl in the pod lists its workers.
    const podName = (await cluster().kubectl(['get', 'pods', '-l', 'kubectl-build.dev/builder=pusher', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const workers = await cluster().kubectl(['exec', podName, '--', 'buildctl', 'debug', 'workers', '--verbose']);
    const daemonPlatforms = /^Platforms:\s*(\S+)$/m.exec(workers)?.[1]?.split(',');
    expect(daemonPlatforms).toContain('linux/amd64');
    expect(new Set(pusher?.match(/linux\/[a-z0-9/]+/g))).toEqual(new Set(daemonPlatforms));
    expect(lines.find((line) => line.startsWith('buildkit '))).toMatch(/^buildkit\s+1\/1 ready\s+containerd\s+buildkit-\S+/);

    const removed = await buildkit(['rm', 'pusher']);
    expect(removed.stderr).toContain('removed the builder "pusher"');
    expect(removed.status).toBe(0);
    expect((await buildkit(['ls'])).stdout).not.toMatch(/^pusher /m);
    // rm returns once the pods are gone; kubectl answers (an empty list, a NotFound) rather than failing to look.
    expect(await cluster().kubectl(['get', 'pods,deployments', '-l', 'kubectl-build.dev/builder=pusher', '-o', 'name'])).toBe('');
    await expect(cluster().kubectl(['get', 'configmap', 'pusher-buildkitd-config'])).rejects.toThrow(/NotFound|not found/);

    const again = await buildkit(['rm', 'pusher']);
    expect(again.stderr).toMatch(/^error: there is no builder "pusher" in context "[^"]+", namespace "kb-test-/);
    expect(again.status).toBe(1);
  });

  it('runs three builds at once on a builder with two replicas, over both pods, and each context on the same pod every time', async () => {
    await createBuilder('shared', ['--replicas', '2', '--worker', 'runc']);
    const pods = await builderPods('shared');
    expect(pods).toHaveLength(2);
    // Three context directories that rendezvous hashing (README) sends to both pods, chosen by the
    // product's own pickPod: which pod ran each build is then observed, not taken from the CLI.
    const candidates = Array.from({ length: 16 }, () => scratchDir('context'));
    const predicted = (dir: string) => pickPod(pods.map((pod) => ({ name: pod.name, node: '', phase: 'Running', ready: true })), dir)?.name;
    const [one, two] = pods.map((pod) => candidates.filter((dir) => predicted(dir) === pod.name));
    const dirs = [...(one ?? []).slice(0, 2), ...(two ?? []).slice(0, 1)];
    expect(dirs, 'sixteen context directories all hash to one pod').toHaveLength(3);

    // Each build's step waits at a meeting of all three: it only ends "together" when the three run
    // at the same time. Its timeline and the pod's addresses go into the image.
    const meeting = signals().meeting(3);
    dirs.forEach((dir, n) => writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\n`
      + `RUN start=$(date +%s) && met=$(wget -qO- ${signals().url}/meet/${meeting}/${n}) && sleep 2 && `
      + `{ printf 'context ${n}\\nstart %s\\nmet %s\\nend %s\\n' $start $met $(date +%s); ${WHERE}; } > /timeline\n`));
    const tag = (n: number) => `${registry().host}/cluster/parallel:${n}`;
    // Three first pushes of the same base layer at once can race inside Debian's docker-registry
    // (distribution 2.8: "provided digest did not match uploaded content"), a registry bug outside
    // this test's subject: the layer is put in the repository first, so that each push finds it.
    const { registry: target, files } = registry();
    await skopeo(['copy', '--quiet', ...skopeoRegistryFlags(target, files, 'src'), ...skopeoRegistryFlags(target, files, 'dest'), `docker://${registry().baseImage}`, `docker://${registry().host}/cluster/parallel:base`]);
    const buildAll = () => Promise.all(dirs.map((dir, n) => build(['--builder', 'shared', '-t', tag(n), '--push', dir])));
    const timeline = async (n: number) => {
      const text = await imageText(tag(n));
      const [, start, met, end] = /context \d+\nstart (\d+)\nmet (\w+)\nend (\d+)\n/.exec(text) ?? [];
      return { start: Number(start), met, end: Number(end), pod: podIn(text, pods)?.name };
    };

    const results = await buildAll();
    for (const result of results) expect(result.status, result.stderr).toBe(0);
    const first = await Promise.all(dirs.map((_, n) => timeline(n)));
    expect(first.map(({ met }) => met)).toEqual(['together', 'together', 'together']);
    expect(Math.max(...first.map(({ start }) => start))).toBeLessThan(Math.min(...first.map(({ end }) => end)));
    expect(new Set(first.map(({ pod }) => pod))).toEqual(new Set(pods.map((pod) => pod.name)));
    // The CLI names the pod the step ran in.
    results.forEach((result, n) => expect(result.stderr).toContain(`: pod ${first[n]?.pod} on node`));

    // Four more rounds. A re-run on the pod that ran it reuses its cache: the image keeps the first
    // run's timeline. On the other pod the step would run again, there, and write that pod's address
    // (and "late" from the closed meeting). With a random choice of pod, each of these 3 x 4 = 12
    // re-runs would stay on its first pod with probability 1/2: all of them with 1/2^12 = 1/4096.
    for (let round = 0; round < 4; round++) {
      for (const result of await buildAll()) expect(result.status, result.stderr).toBe(0);
      expect(await Promise.all(dirs.map((_, n) => timeline(n)))).toEqual(first);
    }
  });

  it('fails clearly when the builder pod is deleted in the middle of a build, and pushes nothing under the tag', async () => {
    await createBuilder('victim', ['--worker', 'runc']);
    const tag = `${registry().host}/cluster/interrupted:1`;
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo started && sleep 60\n` });
    const running = await runCliUntil('kubectl-build', ['--progress=plain', '-n', cluster().namespace, '--builder', 'victim', '-t', tag, '--push', dir], 'started', { env: env() });
    await cluster().kubectl(['delete', 'pod', '-l', 'kubectl-build.dev/builder=victim', '--grace-period=0', '--force']);
    const { status, stderr } = await running.done;
    expect(stderr).toMatch(/^error: the builder pod victim-\S+ (was deleted|stopped \(\w+\)) during the build, so nothing was built or pushed$/m);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(status).toBe(1);
    expect(await tagState(registry(), tag)).toBe('absent');
  });
});

describe('kubectl buildkit create --rootless', () => {
  it('runs buildkitd unprivileged as user 1000 under rootlesskit, and builds with it', async () => {
    const created = await createBuilder('rootless', ['--rootless']);
    expect(created.stderr).toContain('runc worker, rootless');
    const pod = JSON.parse(await cluster().kubectl(['get', 'pods', '-l', 'kubectl-build.dev/builder=rootless', '-o', 'json'])).items[0];
    expect(pod.spec.containers[0].securityContext.privileged).toBeUndefined();
    expect(pod.spec.containers[0].securityContext.runAsUser).toBe(1000);
    // ...and --rootless takes that image's -rootless variant.
    expect(pod.spec.containers[0].image).toBe(`${cluster().buildkitImage || DEFAULT_BUILDKIT_IMAGE}-rootless`);
    const tag = `${registry().host}/cluster/rootless:1`;
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN id -u > /built-as\n` });
    const result = await build(['--builder', 'rootless', '-t', tag, '--push', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(await tagState(registry(), tag)).toBe('present');
    expect((await buildkit(['rm', 'rootless'])).status).toBe(0);
  });
});

describe('what a user sees when the cluster says no', () => {
  it('names an unknown context, and an unknown namespace', async () => {
    const dir = context({ Dockerfile: 'FROM scratch\n' });
    const unknownContext = await runCli('kubectl-build', ['--context', 'no-such-context', dir], { env: env() });
    expect(unknownContext.stderr).toMatch(/^error: the context "no-such-context" does not exist in \S+\nhint: use one of: /);
    expect(unknownContext.status).toBe(2);

    const unknownNamespace = await runCli('kubectl-build', ['-n', 'no-such-namespace', dir], { env: env() });
    expect(unknownNamespace.stderr).toMatch(/^error: the namespace "no-such-namespace" does not exist \(context "[^"]+", namespace "no-such-namespace"\)\nhint: create it/m);
    expect(unknownNamespace.status).toBe(1);
  });

  it('tells a user whose RBAC forbids pods/exec what is missing', async () => {
    const { namespace } = cluster();
    await cluster().kubectl(['create', 'serviceaccount', 'limited']);
    await cluster().kubectl(['create', 'role', 'builder-reader', '--verb=get,list,watch', '--resource=deployments.apps,pods,events,configmaps']);
    await cluster().kubectl(['create', 'rolebinding', 'limited-reads', '--role=builder-reader', `--serviceaccount=${namespace}:limited`]);
    const token = (await cluster().kubectl(['create', 'token', 'limited', '--duration=10m'])).trim();
    const admin = JSON.parse(await cluster().kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']));
    const server: string = admin.clusters[0].cluster.server;
    const caData: string | undefined = admin.clusters[0].cluster['certificate-authority-data'];
    const caFile: string | undefined = admin.clusters[0].cluster['certificate-authority'];
    const dir = scratchDir('limited');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'limited',
      clusters: [{ name: 'c', cluster: { server, ...(caData ? { 'certificate-authority-data': caData } : { 'certificate-authority-data': Buffer.from(readFileSync(caFile as string)).toString('base64') }) } }],
      users: [{ name: 'limited', user: { token } }],
      contexts: [{ name: 'limited', context: { cluster: 'c', user: 'limited', namespace } }],
    }));
    const result = await runCli('kubectl-build', ['--kubeconfig', kubeconfig, '--builder', 'shared', '-t', `${registry().host}/cluster/forbidden:1`, '--push', context({ Dockerfile: 'FROM scratch\n' })], { env: env() });
    expect(result.stderr).toMatch(/^error: you are not allowed to create pods\/exec in context "limited", namespace "kb-test-\w+", which kubectl build needs to reach builder "shared"\nhint: ask your cluster admin for a Role that allows "create" on "pods\/exec"/m);
    expect(result.stderr).not.toContain(token);
    expect(result.status).toBe(1);
  });

  it('turns pod trouble while creating a builder into one clear error instead of a hang', async () => {
    const pull = await buildkit(['create', 'bad-image', '--image', 'localhost/kubectl-build/no-such-image:1', '--timeout', '90s']);
    expect(pull.stderr).toMatch(/^error: the builder "bad-image" cannot start: pod bad-image-\S+ reports (ErrImagePull|ImagePullBackOff)/m);
    expect(pull.stderr).toMatch(/^hint: check --image/m);
    expect(pull.status).toBe(1);

    const unschedulable = await buildkit(['create', 'nowhere', '--platform', 'linux/s390x', '--timeout', '90s']);
    expect(unschedulable.stderr).toMatch(/^error: the builder "nowhere" cannot start: pod nowhere-\S+ cannot be scheduled: 0\/\d+ nodes are available/m);
    expect(unschedulable.status).toBe(1);

    const badConfig = join(scratchDir('bad-config'), 'buildkitd.toml');
    mkdirSync(join(badConfig, '..'), { recursive: true });
    writeFileSync(badConfig, 'this is not = = toml\n');
    const crash = await buildkit(['create', 'crasher', '--config', badConfig, '--timeout', '90s']);
    expect(crash.stderr).toMatch(/^error: the builder "crasher" cannot start: pod crasher-\S+ reports (CrashLoopBackOff: )?buildkitd exited with code 1 \(.*toml.*\), restarted \d+ times?$/m);
    expect(crash.status).toBe(1);

    // A namespace whose Pod Security level refuses privileged pods: the ReplicaSet's refusal, not a timeout.
    const restricted = `${cluster().namespace}-baseline`;
    await cluster().kubectl(['create', 'namespace', restricted, '-n', 'default']);
    try {
      await cluster().kubectl(['label', 'namespace', restricted, 'pod-security.kubernetes.io/enforce=baseline', '-n', 'default']);
      const refused = await runCli('kubectl-buildkit', ['create', 'refused', '--timeout', '90s', '-n', restricted], { env: env() });
      expect(refused.stderr).toMatch(/^error: the builder "refused" cannot create its pods: .*violates PodSecurity "baseline/m);
      expect(refused.stderr).toMatch(/^hint: .*Pod Security admission level/m);
      expect(refused.status).toBe(1);
    } finally {
      await cluster().kubectl(['delete', 'namespace', restricted, '--wait=false', '-n', 'default']);
    }

    const slow = await buildkit(['create', 'impatient', '--platform', 'linux/s390x', '--timeout', '2s']);
    expect(slow.stderr).toMatch(/^error: the builder "impatient" was not ready within 2s \(0\/1 pods ready/m);
    expect(slow.stderr).toMatch(/^hint: .*or wait longer with --timeout$/m);
    expect(slow.status).toBe(1);
  });
});

describe('--registry-secret', () => {
  const authRegistry = useClusterRegistry({ auth: true });

  it('pushes with the credentials of a dockerconfigjson Secret, answered by the CLI and never mounted into the pod', async () => {
    const target = authRegistry();
    const auth = target.auth as { username: string; password: string };
    await cluster().kubectl(['create', 'secret', 'docker-registry', 'push-credentials', `--docker-server=${target.host}`, `--docker-username=${auth.username}`, `--docker-password=${auth.password}`]);
    const config = join(scratchDir('config'), 'buildkitd.toml');
    writeFileSync(config, `${registry().buildkitdConfig}${target.buildkitdConfig}`);
    expect((await buildkit(['create', 'secretive', '--config', config])).status).toBe(0);

    const emptyDockerConfig = scratchDir('no-credentials');
    writeFileSync(join(emptyDockerConfig, 'config.json'), '{}');
    const tag = `${target.host}/cluster/secret:1`;
    const dir = context({ Dockerfile: `FROM ${registry().baseImage}\nRUN echo with a secret > /m\n` });
    const withoutSecret = await build(['--builder', 'secretive', '-t', tag, '--push', dir], { DOCKER_CONFIG: emptyDockerConfig });
    expect(withoutSecret.status).toBe(1);
    expect(await tagState(target, tag)).toBe('absent');

    const result = await build(['--builder', 'secretive', '--registry-secret', 'push-credentials', '-t', tag, '--push', dir], { DOCKER_CONFIG: emptyDockerConfig });
    expect(result.status, result.stderr).toBe(0);
    expect(await tagState(target, tag)).toBe('present');
    expect(`${result.stdout}${result.stderr}`).not.toContain(auth.password);
    const pod = JSON.parse(await cluster().kubectl(['get', 'pods', '-l', 'kubectl-build.dev/builder=secretive', '-o', 'json']));
    expect(JSON.stringify(pod.items[0].spec)).not.toContain('push-credentials');

    const missing = await build(['--builder', 'secretive', '--registry-secret', 'nope', '-t', tag, '--push', dir]);
    expect(missing.stderr).toMatch(/^error: the registry secret "nope" does not exist in context "[^"]+", namespace "kb-test-\w+"/m);
    expect(missing.status).toBe(1);
  });
});

describe('--cosign-key k8s://NAMESPACE/SECRET', () => {
  it('signs with the key pair cosign generate-key-pair stored in a Secret, in both layouts, and cosign verifies each with that Secret', async () => {
    await createBuilder('signer', ['--worker', 'runc']);
    const { namespace } = cluster();
    const context_ = { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir, env: { KUBECONFIG: cluster().kubeconfig } };
    const password = 'pw-in-the-secret';
    await cosign('cosign-v3', context_, ['generate-key-pair', `k8s://${namespace}/signing-key`], password);

    const tag = `${registry().host}/cluster/k8s-signed:1`;
    const dir = context({ Dockerfile: 'FROM scratch\nCOPY Dockerfile /d\n' });
    const result = await build(['--builder', 'signer', '-t', tag, '--push', '--sign', '--cosign-key', `k8s://${namespace}/signing-key`, '--tlog-upload=false', '--allow-http-registry', dir], { COSIGN_PASSWORD: '' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`k8s://${namespace}/signing-key`);
    expect(`${result.stdout}${result.stderr}`).not.toContain(password);
    const digest = /pushed \S+ as (sha256:\w+)/.exec(result.stderr)?.[1];
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, context_, `${tag.replace(/:1$/, '')}@${digest}`, `k8s://${namespace}/signing-key`)).toHaveLength(1);
    }

    // The bundle layout too (here through the fallback tag: this registry has no referrers API).
    const bundleTag = `${registry().host}/cluster/k8s-bundle:1`;
    const bundleDir = context({ Dockerfile: 'FROM scratch\nCOPY Dockerfile /bundled\n' });
    const bundled = await build(['--builder', 'signer', '-t', bundleTag, '--push', '--sign', '--signature-format', 'bundle', '--cosign-key', `k8s://${namespace}/signing-key`, '--tlog-upload=false', '--allow-http-registry', bundleDir]);
    expect(bundled.status, bundled.stderr).toBe(0);
    const bundledDigest = /pushed \S+ as (sha256:\w+)/.exec(bundled.stderr)?.[1];
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, context_, `${bundleTag.replace(/:1$/, '')}@${bundledDigest}`, `k8s://${namespace}/signing-key`)).not.toHaveLength(0);
    }
    // kubectl trust verify reads the same Secret's cosign.pub, with the kubeconfig and namespace it is given.
    for (const [image, secret] of [[`${tag.replace(/:1$/, '')}@${digest}`, `k8s://${namespace}/signing-key`], [bundleTag, 'k8s://signing-key']] as const) {
      const verified = await runCli('kubectl-trust', ['verify', '-n', namespace, '--key', secret, '--insecure-ignore-tlog', '--allow-http-registry', image], { env: env() });
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    }

    const missing = await build(['--builder', 'signer', '-t', tag, '--push', '--sign', '--cosign-key', `k8s://${namespace}/no-such-key`, '--tlog-upload=false', dir]);
    expect(missing.stderr).toMatch(new RegExp(`^error: the Secret ${namespace}/no-such-key does not exist`, 'm'));
    expect(missing.status).toBe(1);
  });
});

describe('--platform a,b on a builder with a Deployment per architecture', () => {
  it('builds each platform on a pod pinned to its architecture when there is one, elsewhere on the others', async () => {
    await createBuilder('multi', ['--worker', 'runc']);
    const appended = await createBuilder('multi', ['--worker', 'runc', '--append', '--platform', 'linux/amd64']);
    expect(appended.stderr).toContain('adding multi-linux-amd64 to the builder "multi"');
    const listed = await buildkit(['ls']);
    expect(listed.stdout).toMatch(/^multi\s+2\/2 ready\s+runc\s+multi-\S+/m);
    expect(listed.stdout).toMatch(/^\s+multi-linux-amd64-\S+\s+\S+\s+linux\/amd64/m);

    const tag = `${registry().host}/cluster/multi:1`;
    // Per platform: a native step ($BUILDPLATFORM) that writes the pod's addresses and machine, and
    // a RUN of a static program built for the target architecture, which runs only natively or under QEMU.
    const dir = context({ Dockerfile: `FROM --platform=$BUILDPLATFORM ${registry().baseImage} AS where\nARG TARGETPLATFORM\n`
      + `RUN { echo "platform $TARGETPLATFORM"; ${WHERE}; } > /where\n`
      + 'FROM scratch\nARG TARGETARCH\nCOPY probe-${TARGETARCH} /probe\nRUN ["/probe", "/ran-as"]\nCOPY --from=where /where /where\n' });
    for (const goarch of ['amd64', 'arm64']) {
      execFileSync('go', ['build', '-trimpath', '-o', join(dir, `probe-${goarch}`), '.'], {
        cwd: 'integration/fixtures/arch-probe',
        env: { ...process.env, GOOS: 'linux', GOARCH: goarch, CGO_ENABLED: '0', GOFLAGS: '' },
      });
    }
    const result = await build(['--builder', 'multi', '--platform', 'linux/amd64,linux/arm64', '-t', tag, '--push', '--allow-http-registry', dir]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^linux\/amd64: building with the builder "multi": pod multi-linux-amd64-\S+ on node \S+ \(native\)$/m);
    expect(result.stderr).toMatch(/^linux\/arm64: building with the builder "multi": pod multi-(?!linux-)\S+ on node \S+ \(no pod pinned to arm64: emulated or cross-compiled\)$/m);

    // Where each platform really ran, from the images and kubectl.
    const pods = await builderPods('multi');
    const ran = await Promise.all(['amd64', 'arm64'].map(async (arch) => {
      const text = await imageText(`${tag.replace(/:1$/, '')}@${await platformDigest(tag, arch)}`);
      return { pod: podIn(text, pods), machine: /^machine (\S+)$/m.exec(text)?.[1], ranAs: /ran as (linux\/[a-z0-9]+)\n/.exec(text)?.[1] };
    }));
    const [amd64, arm64] = ran;
    // amd64 on the pod pinned to amd64, natively: its node is amd64 and so is the machine the step saw.
    expect(amd64?.pod?.pinnedArch).toBe('amd64');
    expect(amd64?.pod?.nodeArch).toBe('amd64');
    expect(UNAME_ARCH[amd64?.machine ?? '']).toBe('amd64');
    expect(amd64?.ranAs).toBe('linux/amd64');
    // arm64 on the unpinned pod, whose node is not arm64: its RUN of an arm64 program ran emulated there.
    expect(arm64?.pod).toBeDefined();
    expect(arm64?.pod?.pinnedArch).toBeUndefined();
    expect(arm64?.pod?.nodeArch).not.toBe('arm64');
    expect(arm64?.ranAs).toBe('linux/arm64');
    expect((await buildkit(['rm', 'multi'])).status).toBe(0);
  });
});

describe('how a build reaches its builder', () => {
  it('through pods/exec alone: no Service, no container port, nothing listening on TCP in the pod', async () => {
    await createBuilder('closed', ['--worker', 'runc']);
    // The test's namespace holds nothing but what this file made: no Service at all, not only none labelled.
    expect(await cluster().kubectl(['get', 'services', '-o', 'name'])).toBe('');
    const pod = JSON.parse(await cluster().kubectl(['get', 'pods', '-l', 'kubectl-build.dev/builder=closed', '-o', 'json'])).items[0];
    expect(pod.spec.containers.map((container: { ports?: unknown }) => container.ports)).toEqual([undefined]);
    // The pod's own sockets (its network namespace): no TCP socket in state 0A, LISTEN.
    const sockets = await cluster().kubectl(['exec', pod.metadata.name, '--', 'cat', '/proc/net/tcp', '/proc/net/tcp6']);
    expect(sockets).toMatch(/local_address/);
    expect(sockets.split('\n').filter((line) => / 0A /.test(line))).toEqual([]);
    const result = await build(['--builder', 'closed', context({ Dockerfile: 'FROM scratch\n' })]);
    expect(result.status, result.stderr).toBe(0);
    expect((await buildkit(['rm', 'closed'])).status).toBe(0);
  });
});
