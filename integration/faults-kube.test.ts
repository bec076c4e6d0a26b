// The fault matrix, Kubernetes API server row (docs/faults.md): `kubectl build --push` through a
// builder in the cluster, with the kubeconfig's server pointed at Toxiproxy in front of the local
// cluster's API server (a copy of the kubeconfig: `server` changed, the certificate's name kept with
// `tls-server-name`), so the API calls and the pods/exec tunnel to buildkitd both cross the fault.
// Each cell: exit 1, one sentence naming the API server or the tunnel, and nothing under the tag
// (read on the registry itself). The cells that need an API server that completes TLS and then
// misbehaves (says nothing, answers 5xx or 401) point the kubeconfig at a stand-in HTTPS server of
// the test's own, trusted through the kubeconfig's certificate-authority: the first request, the
// builder lookup, meets the fault.
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createCertificateAuthority, createServerCertificate, type ServerCertificate } from '../hack/lib/tls.ts';
import { runCli, stderrShows, type CliOptions, type CliResult } from './harness/cli.ts';
import { useCluster, useClusterRegistry, writeBuildkitdConfig } from './harness/cluster.ts';
import { useFaultProxy } from './harness/fault-proxy.ts';
import { neverAnswer, startForwarder, type Interception } from './harness/http-forwarder.ts';
import { scratchDir } from './harness/index.ts';
import { manifestState } from './harness/registry-state.ts';
import { useStepSignals } from './harness/step-signals.ts';
import { expectEndedWithin } from './harness/bounds.ts';

const cluster = useCluster();
const registry = useClusterRegistry();
const signals = useStepSignals(() => cluster().hostAddress);

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: { server: string; 'tls-server-name'?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string } }>;
}

/** The kubeconfig as JSON (the local cluster writes it so); its API server's host:port. */
function kubeconfig(): Kubeconfig {
  return JSON.parse(readFileSync(cluster().kubeconfig, 'utf8')) as Kubeconfig;
}

const api = useFaultProxy('apiserver', () => new URL(kubeconfig().clusters[0]?.cluster.server ?? '').host);
const BUILDER = 'faulty-api';

/** A copy of the kubeconfig whose clusters all say `cluster` instead. */
function kubeconfigWith(cluster: (old: Kubeconfig['clusters'][number]['cluster']) => Kubeconfig['clusters'][number]['cluster']): string {
  const config = kubeconfig();
  for (const entry of config.clusters) entry.cluster = cluster(entry.cluster);
  const file = join(scratchDir('faulty-kubeconfig'), 'kubeconfig');
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/** A copy of the kubeconfig that reaches the API server through the proxy; the certificate names "kubernetes". */
function faultyKubeconfig(): string {
  return kubeconfigWith((cluster) => ({ ...cluster, server: `https://${api().host}`, 'tls-server-name': 'kubernetes' }));
}

let certificate: ServerCertificate;
beforeAll(() => {
  const dir = scratchDirOutsideTest();
  certificate = createServerCertificate(createCertificateAuthority(dir), dir);
});

/**
 * A stand-in API server for this test: TLS with a certificate the kubeconfig trusts (its CA swapped
 * for the test's), every request answered by `answer`; a copy of the kubeconfig pointing at it.
 */
async function standInApiServer(answer: Interception['answer']): Promise<{ kubeconfig: string; url: string; requests: readonly string[] }> {
  // Nothing is forwarded: every request is answered here.
  const server = await startForwarder('https://127.0.0.1:1', () => [{ match: /./, answer }], certificate);
  onTestFinished(() => server.close());
  const { 'tls-server-name': _name, 'certificate-authority-data': _data, ...rest } = kubeconfig().clusters[0]?.cluster ?? { server: '' };
  return { kubeconfig: kubeconfigWith(() => ({ ...rest, server: server.url, 'certificate-authority': certificate.ca.certFile })), url: server.url, requests: server.requests };
}

/** An answer as the API server gives one: a Status object with the HTTP code. */
function apiStatus(code: number, reason: string): Interception['answer'] {
  return (response) => response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `injected ${code}`, reason, code }));
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

interface BuildOptions {
  /** Awaited after the CLI ended: the fault injected while it runs. */
  readonly during?: Promise<unknown>;
  readonly cli?: CliOptions;
  readonly dir?: string;
  /** Default: the copy through the fault proxy. */
  readonly kubeconfig?: string;
  /** More flags for kubectl build. */
  readonly args?: readonly string[];
}

/** kubectl build --push of FROM base + `step` (a Dockerfile line) through the faulty kubeconfig. */
async function buildPush(repository: string, step: string, options: BuildOptions = {}): Promise<{ result: CliResult; tag: string }> {
  const dir = options.dir ?? scratchDir('faults-kube');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\n${step}\n`);
  const tag = `${registry().host}/${repository}:1`;
  const args = ['--progress=plain', '--kubeconfig', options.kubeconfig ?? faultyKubeconfig(), '-n', cluster().namespace, '--builder', BUILDER, ...(options.args ?? []), '-t', tag, '--push', dir];
  const result = await runCli('kubectl-build', args, {
    env: cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir }),
    timeoutMs: 120_000,
    ...options.cli,
  });
  await options.during;
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
    expectEndedWithin(result, 30, 'blackhole');
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube tunnel cut mid-build (every connection through the API server closed while a RUN step runs): exit 1, the tunnel named, nothing pushed', async () => {
    const cut = signals().holdOpened('kube-cut').then(() => api().refuse());
    const { result, tag } = await buildPush('faults/kube/cut', `RUN wget -qO- ${signals().url}/hold/kube-cut && echo finished > /finished`, { during: cut });
    // Not "the pod was deleted": the API server that would say so is the one cut off.
    expectReported(result, /^error: lost the connection to the builder pod faulty-api-\S+ during the build, and the Kubernetes API server did not answer when asked why/);
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube tunnel silent mid-build (every packet through the API server dropped while a RUN step runs, --request-timeout 3s): exit 1, the silence found by the stream\'s pings, nothing pushed', async () => {
    // The connections stay open and say nothing: without the pings, the build would wait forever.
    const silent = signals().holdOpened('kube-silent').then(() => api().blackhole());
    const { result, tag } = await buildPush('faults/kube/silent', `RUN wget -qO- ${signals().url}/hold/kube-silent && echo finished > /finished`, { during: silent, args: ['--request-timeout', '3s'] });
    expectReported(result, /^error: lost the connection to the builder pod faulty-api-\S+ during the build, and the Kubernetes API server did not answer when asked why \(.*did not answer within 3 s/);
    expectEndedWithin(result, 25, 'tunnel silent mid-build, --request-timeout 3s');
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
    const { result, tag } = await buildPush('faults/kube/upload', 'COPY big /big', { during: cut, cli: { onStderr: upload.onStderr }, dir });
    expectReported(result, /^error: lost the connection to the builder pod faulty-api-\S+ during the build, and the Kubernetes API server did not answer when asked why/);
    const uploadStep = /^(#\d+) \[internal\] load build context$/m.exec(result.stderr)?.[1];
    expect(result.stderr).not.toMatch(new RegExp(`^${uploadStep} transferring done`, 'm'));
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube --request-timeout does not cut a build: a step running longer than it finishes and pushes', async () => {
    // A step of its own each run (no cache hit), quiet for twice the timeout.
    const { result, tag } = await buildPush('faults/kube/long-step', `RUN sleep 8 && echo ${randomBytes(8).toString('hex')} > /marker`, { args: ['--request-timeout', '4s'] });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(await manifestState(registry().registry, tag)).toBe('present');
  });

  it('faults-kube latency 5 s on every answer of the API server and the tunnel: the build finishes and pushes', async () => {
    await api().latency(5_000);
    // Default flags. Opening the tunnel takes several 5 s round trips (TLS, the exec upgrade), more
    // than the 10 s --connect-timeout: that is the API server's part, bounded by --request-timeout,
    // and the connect timeout counts from the tunnel's opening.
    const { result, tag } = await buildPush('faults/kube/latency', 'RUN echo latency $RANDOM > /marker', { cli: { timeoutMs: 280_000 } });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(await manifestState(registry().registry, tag)).toBe('present');
  }, 300_000);

  it('faults-kube reset after N bytes (each connection cut once 3000 bytes came back): exit 1, naming the API server; nothing pushed', async () => {
    await api().resetAfter(3_000);
    const { result, tag } = await buildPush('faults/kube/reset', 'RUN echo reset > /marker');
    expectReported(result, new RegExp(`^error: the connection to the Kubernetes API at https://${api().host.replace(/\./g, '\\.')} was cut before it answered when asked to read the builder "faulty-api"$`));
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube API server that completes TLS and never answers, --request-timeout 2s: exit 1 after the timeout, naming it; nothing pushed', async () => {
    const silent = neverAnswer(/./);
    const front = await standInApiServer(silent.answer);
    const { result, tag } = await buildPush('faults/kube/silent', 'RUN echo silent > /marker', { kubeconfig: front.kubeconfig, args: ['--request-timeout', '2s'] });
    expectReported(result, new RegExp(`^error: the Kubernetes API at ${front.url.replace(/\./g, '\\.')} did not answer within 2 s when asked to read the builder "faulty-api"$`));
    expect(result.stderr).toMatch(/^hint: .*raise --request-timeout/m);
    // Timed on purpose: the claim is about time (the flag's bound, not fetch's 300 s).
    expect(result.durationMs).toBeLessThan(8_000);
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it.each([
    [500, 'InternalError'],
    [503, 'ServiceUnavailable'],
  ])('faults-kube HTTP %d on the builder lookup: asked 3 times, then exit 1, the API server named as failing; nothing pushed', async (code, reason) => {
    const front = await standInApiServer(apiStatus(code, reason));
    const { result, tag } = await buildPush(`faults/kube/http-${code}`, 'RUN echo failing > /marker', { kubeconfig: front.kubeconfig });
    expectReported(result, new RegExp(`^error: the Kubernetes API at ${front.url.replace(/\./g, '\\.')} failed when asked to read the builder "faulty-api" \\(HTTP ${code}: injected ${code}\\)$`));
    // A read is asked again on a 5xx, as client-go asks: the same lookup, three times in all.
    expect(front.requests).toHaveLength(3);
    expect(new Set(front.requests).size).toBe(1);
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });

  it('faults-kube HTTP 401 on the builder lookup: exit 1, the credentials named; nothing pushed', async () => {
    const front = await standInApiServer(apiStatus(401, 'Unauthorized'));
    const { result, tag } = await buildPush('faults/kube/http-401', 'RUN echo unauthorized > /marker', { kubeconfig: front.kubeconfig });
    expectReported(result, new RegExp(`^error: the Kubernetes API at ${front.url.replace(/\./g, '\\.')} did not accept your credentials`));
    expect(result.stderr).toMatch(/^hint: log in again/m);
    // An answer that settles it is not asked again.
    expect(front.requests).toHaveLength(1);
    expect(await manifestState(registry().registry, tag)).toBe('absent');
  });
});

describe('the other commands that call the Kubernetes API, bounded by --request-timeout', () => {
  /** A policy that sweep reads before it lists anything; the key is never reached. */
  function policyFile(): string {
    const file = join(scratchDir('faults-kube-policy'), 'policy.yaml');
    writeFileSync(file, 'apiVersion: kubectl-build.dev/v1alpha1\nkind: SignerPolicy\nsigners: [{ name: release, key: /nonexistent.pub }]\nrules:\n  - images: ["**"]\n    require: { all: [release] }\n');
    return file;
  }

  it.each([
    ['kubectl-buildkit', 'ls', (): string[] => [], 1, (): string => 'list the builders'],
    ['kubectl-trust', 'sweep', (): string[] => ['--policy', policyFile()], 2, (): string => `list the Pods of namespace ${cluster().namespace}`],
  ] as const)('faults-kube %s %s, API server silent after TLS, --request-timeout 2s: fails after the timeout, naming it', async (command, sub, more, status, asked) => {
    const front = await standInApiServer(neverAnswer(/./).answer);
    const result = await runCli(command, [sub, ...more(), '--kubeconfig', front.kubeconfig, '-n', cluster().namespace, '--request-timeout', '2s'], { env: cluster().env(), timeoutMs: 60_000 });
    expect(result.status, result.stderr.slice(-1500)).toBe(status);
    expect(result.stderr).toContain(`error: the Kubernetes API at ${front.url} did not answer within 2 s when asked to ${asked()}\n`);
    // Timed on purpose: the claim is about time (the flag's bound, not fetch's 300 s).
    expect(result.durationMs).toBeLessThan(8_000);
  });
});
