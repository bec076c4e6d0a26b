// The fault matrix, Kubernetes API server row (docs/faults.md): `kubectl build --push` through a
// builder in the cluster, with the kubeconfig's server pointed at Toxiproxy in front of the local
// cluster's API server (a copy of the kubeconfig: `server` changed, the certificate's name kept with
// `tls-server-name`), so the API calls and the pods/exec tunnel to buildkitd both cross the fault.
// Each cell: exit 1, one sentence naming the API server or the tunnel, and nothing under the tag
// (read on the registry itself).
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, stderrShows, type CliOptions, type CliResult } from './harness/cli.ts';
import { useCluster, useClusterRegistry, writeBuildkitdConfig } from './harness/cluster.ts';
import { useFaultProxy } from './harness/fault-proxy.ts';
import { scratchDir } from './harness/index.ts';
import { manifestState } from './harness/registry-state.ts';
import { useStepSignals } from './harness/step-signals.ts';

const cluster = useCluster();
const registry = useClusterRegistry();
const signals = useStepSignals(() => cluster().hostAddress);

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: { server: string; 'tls-server-name'?: string } }>;
}

/** The kubeconfig as JSON (the local cluster writes it so); its API server's host:port. */
function kubeconfig(): Kubeconfig {
  return JSON.parse(readFileSync(cluster().kubeconfig, 'utf8')) as Kubeconfig;
}

const api = useFaultProxy('apiserver', () => new URL(kubeconfig().clusters[0]?.cluster.server ?? '').host);
const BUILDER = 'faulty-api';

/** A copy of the kubeconfig that reaches the API server through the proxy; the certificate names "kubernetes". */
function faultyKubeconfig(): string {
  const config = kubeconfig();
  for (const entry of config.clusters) entry.cluster = { ...entry.cluster, server: `https://${api().host}`, 'tls-server-name': 'kubernetes' };
  const file = join(scratchDir('faulty-kubeconfig'), 'kubeconfig');
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  const config = writeBuildkitdConfig(registry(), scratchDirOutsideTest());
  const created = await runCli('kubectl-buildkit', ['create', BUILDER, '--worker', 'runc', '--config', config, '-n', cluster().namespace], { env: cluster().env() });
  if (created.status !== 0) throw new Error(`the builder was not created:\n${created.stderr}`);
}, 240_000);

/** A folder for the builder's config, which outlives one test; removed with the OS's /tmp. */
function scratchDirOutsideTest(): string {
  return mkdtempSync(join(tmpdir(), 'kb-faults-kube-'));
}

/** kubectl build --push of FROM base + `step` (a Dockerfile line) through the faulty kubeconfig. */
async function buildPush(repository: string, step: string, during?: Promise<unknown>, options: CliOptions = {}, dir = scratchDir('faults-kube')): Promise<{ result: CliResult; tag: string }> {
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\n${step}\n`);
  const tag = `${registry().host}/${repository}:1`;
  const result = await runCli('kubectl-build', ['--progress=plain', '--kubeconfig', faultyKubeconfig(), '-n', cluster().namespace, '--builder', BUILDER, '-t', tag, '--push', dir], {
    env: cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir }),
    timeoutMs: 120_000,
    ...options,
  });
  await during;
  return { result, tag };
}

/** Exit 1, one error sentence saying `what`, a hint, no stack. */
function expectReported(result: CliResult, what: RegExp): void {
  expect(result.status, result.stderr.slice(-1500)).toBe(1);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, result.stderr.slice(-1500)).toHaveLength(1);
  expect(errors[0]).toMatch(what);
  expect(result.stderr).toMatch(/^hint: /m);
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe('kubectl build through a builder pod, the API server behind a fault', () => {
  it('faults-kube healthy: the proxied kubeconfig builds and pushes (the cells below fail by their fault only)', async () => {
    const { result, tag } = await buildPush('faults/kube/healthy', 'RUN echo healthy $RANDOM > /marker');
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(await manifestState(registry().registry, tag)).toBe('present');
  });

  it('faults-kube refused: exit 1 at once, naming the API server', async () => {
    await api().refuse();
    const { result, tag } = await buildPush('faults/kube/refused', 'RUN echo refused > /marker');
    expectReported(result, new RegExp(`${api().host.replace(/\./g, '\\.')}`));
    // Timed on purpose: the claim is about time (a refused address fails at once).
    expect(result.durationMs).toBeLessThan(1_000);
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube blackhole: exit 1 after fetch\'s connect timeout (10 s), naming the API server; nothing pushed', async () => {
    await api().blackhole();
    const { result, tag } = await buildPush('faults/kube/blackhole', 'RUN echo blackhole > /marker');
    expectReported(result, new RegExp(`^error: the Kubernetes API at https://${api().host.replace(/\./g, '\\.')} did not answer when asked to read the builder "faulty-api"$`));
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube tunnel cut mid-build (every connection through the API server closed while a RUN step runs): exit 1, the tunnel named, nothing pushed', async () => {
    const cut = signals().holdOpened('kube-cut').then(() => api().refuse());
    const { result, tag } = await buildPush('faults/kube/cut', `RUN wget -qO- ${signals().url}/hold/kube-cut && echo finished > /finished`, cut);
    // Not "the pod was deleted": the API server that would say so is the one cut off.
    expectReported(result, /^error: lost the connection to the builder pod faulty-api-\S+ during the build, and the Kubernetes API server did not answer when asked why/);
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube tunnel cut mid-upload (the context transfer under way): exit 1, the tunnel named, nothing pushed', async () => {
    // 256 MiB (sparse here, sent in full) through the exec tunnel: still under way when the cut comes.
    const dir = scratchDir('faults-kube-upload');
    const big = openSync(join(dir, 'big'), 'w');
    ftruncateSync(big, 256 * 1024 ** 2);
    closeSync(big);
    const upload = stderrShows('[internal] load build context');
    const cut = upload.shown.then(() => api().refuse());
    const { result, tag } = await buildPush('faults/kube/upload', 'COPY big /big', cut, { onStderr: upload.onStderr }, dir);
    expectReported(result, /^error: lost the connection to the builder pod faulty-api-\S+ during the build, and the Kubernetes API server did not answer when asked why/);
    const uploadStep = /^(#\d+) \[internal\] load build context$/m.exec(result.stderr)?.[1];
    expect(result.stderr).not.toMatch(new RegExp(`^${uploadStep} transferring done`, 'm'));
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });
});
