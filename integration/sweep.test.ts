// kubectl trust sweep on a real cluster: the containers that run, judged by the digest each runs
// (each digest verified once, counted in the registry's access log), Pods whose images fail evicted
// through the Eviction API (a PodDisruptionBudget holds them), one Event per Pod evicted, nothing
// done on "could not decide", in a dry run or in kube-system, and an RBAC refusal in one sentence.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stopProcess } from '../hack/lib/process.ts';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { accessLogFrom, readsOf } from './harness/access-log.ts';
import { runCli, type CliResult } from './harness/cli.ts';
import { useCluster, useClusterRegistry, type ClusterRegistry } from './harness/cluster.ts';
import { cosign, generateKeyPair } from './harness/cosign.ts';
import { useFaultyRegistry } from './harness/fault-proxy.ts';
import { scratchDir, useRegistry } from './harness/index.ts';
import { expectEndedWithin } from './harness/bounds.ts';

const cluster = useCluster();
const registry = useClusterRegistry();
// A second registry, stopped mid-test: what runs from it can no longer be checked.
const vanishing = useClusterRegistry();
// Where COSIGN_REPOSITORY sends the signature reads, behind Toxiproxy (the registry fault matrix).
const signatureStore = useFaultyRegistry(useRegistry({ kind: 'oci' }));

/** The seeded base image copied to `repository:1` in the cluster registry; returns host/repository@digest. */
async function copyBase(repository: string, target: ClusterRegistry = registry()): Promise<string> {
  const digestFile = join(scratchDir('digest'), 'digest');
  await skopeo([
    'copy', '--quiet', ...skopeoRegistryFlags(target.registry, target.files, 'src'), ...skopeoRegistryFlags(target.registry, target.files, 'dest'),
    '--digestfile', digestFile, `docker://${target.baseImage}`, `docker://${target.host}/${repository}:1`,
  ]);
  return `${target.host}/${repository}@${readFileSync(digestFile, 'utf8').trim()}`;
}

async function runPod(name: string, image: string, labels: Record<string, string> = {}): Promise<void> {
  const labelArgs = Object.entries(labels).map(([key, value]) => `--labels=${key}=${value}`);
  await cluster().kubectl(['run', name, `--image=${image}`, '--image-pull-policy=IfNotPresent', '--restart=Never', ...labelArgs, '--command', '--', 'sleep', '3600']);
}

async function podNames(): Promise<string[]> {
  const pods = JSON.parse(await cluster().kubectl(['get', 'pods', '-o', 'json'])) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
  return pods.items.filter((pod) => !pod.metadata.deletionTimestamp).map((pod) => pod.metadata.name).sort();
}

/** A policy file: images matching `pattern` need the signature of `publicKey`, logged or not. */
function releasePolicy(publicKey: string, pattern: string): string {
  const policy = join(scratchDir('policy'), 'policy.yaml');
  writeFileSync(policy, `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
signers: [{ name: release, key: ${publicKey} }]
rules:
  - images: ["${pattern}"]
    require: { all: [release] }
    transparencyLog: optional
`);
  return policy;
}

/** The SignaturePolicyFailed Events recorded on a Pod (kubectl fails, rather than answer none, when it cannot look). */
async function policyEvents(pod: string, namespace = cluster().namespace): Promise<Array<{ type: string; message: string; source: { component: string } }>> {
  const events = JSON.parse(await cluster().kubectl(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${pod},reason=SignaturePolicyFailed`, '-o', 'json']));
  return (events as { items: Array<{ type: string; message: string; source: { component: string } }> }).items;
}

/** A kubeconfig that acts as a service account of the test namespace (a token from the API). */
async function serviceAccountKubeconfig(account: string): Promise<string> {
  const token = (await cluster().kubectl(['create', 'token', account])).trim();
  const config = JSON.parse(await cluster().kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])) as { clusters: Array<{ name: string; cluster: Record<string, string> }> };
  const clusterEntry = config.clusters[0] as { name: string; cluster: Record<string, string> };
  const kubeconfig = join(scratchDir('kubeconfig'), 'config');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': account,
    clusters: [clusterEntry],
    users: [{ name: account, user: { token } }],
    contexts: [{ name: account, context: { cluster: clusterEntry.name, user: account, namespace: cluster().namespace } }],
  }));
  return kubeconfig;
}

function sweep(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli('kubectl-trust', ['sweep', '-n', cluster().namespace, '--allow-http-registry', ...args], { env: cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir, ...extra }) });
}

describe('kubectl trust sweep', () => {
  it('judges what runs by digest, evicts only what fails, through the Eviction API, with an Event', async () => {
    const keys = await generateKeyPair({ dir: scratchDir('keys'), dockerConfigDir: registry().files.dockerConfigDir }, 'sweeper');
    const signed = await copyBase('sweep/signed');
    const unsigned = await copyBase('sweep/unsigned');
    await cosign('cosign-v3', { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir }, [
      'sign', '--yes', '--key', keys.privateKey, '--tlog-upload=false', '--use-signing-config=false', '--new-bundle-format=false', '--allow-http-registry', signed,
    ], keys.password);
    const policy = releasePolicy(keys.publicKey, `${registry().host}/sweep/**`);
    // Two Pods share the signed digest (run by tag: the sweep must use the digest that runs); one runs the unsigned copy.
    await runPod('signed-a', `${registry().host}/sweep/signed:1`);
    await runPod('signed-b', signed);
    await runPod('unsigned', `${registry().host}/sweep/unsigned:1`, { app: 'unsigned' });
    await cluster().kubectl(['wait', 'pod/signed-a', 'pod/signed-b', 'pod/unsigned', '--for=condition=Ready', '--timeout=90s']);

    const asked = accessLogFrom(registry().registry);
    const listed = await sweep(['--policy', policy, '-o', 'json']);
    expect(listed.status, listed.stderr + listed.stdout).toBe(1);
    const report = JSON.parse(listed.stdout) as { containers: Array<{ pod: string; verified: string; verdict: { outcome: string } }>; images: unknown[] };
    const verdicts = Object.fromEntries(report.containers.map((row) => [row.pod, [row.verified, row.verdict.outcome]]));
    expect(verdicts).toEqual({ 'signed-a': [signed, 'pass'], 'signed-b': [signed, 'pass'], unsigned: [unsigned, 'fail'] });
    // Three containers, two digests: each verified once, counted at the registry (its access log):
    // one read of each digest's signature tag, the signed one found, the unsigned one absent.
    expect(report.images).toHaveLength(2);
    const sigTag = (image: string) => `${image.split('@')[1]?.replace(':', '-')}.sig`;
    expect(readsOf(asked(), `/v2/sweep/signed/manifests/${sigTag(signed)}`)).toEqual(['200']);
    expect(readsOf(asked(), `/v2/sweep/unsigned/manifests/${sigTag(unsigned)}`)).toEqual(['404']);

    // A dry run changes nothing, on the client or through the API.
    const table = await sweep(['--policy', policy, '--evict']);
    expect(table.stdout).toMatch(/^NAMESPACE\s+POD\s+CONTAINER\s+IMAGE\s+VERDICT/m);
    expect(table.stdout).toMatch(/unsigned\s+unsigned\s+\S+\s+FAIL\s+all of \[release\]/);
    expect(table.stdout).toContain(`${cluster().namespace}/unsigned: would be evicted (--dry-run=client`);
    expect(table.stdout).not.toMatch(/signed-[ab]: /);
    const server = await sweep(['--policy', policy, '--evict', '--dry-run=server']);
    expect(server.stdout).toContain(`${cluster().namespace}/unsigned: would be evicted (the API accepted it`);
    expect(await podNames()).toEqual(['signed-a', 'signed-b', 'unsigned']);

    // A PodDisruptionBudget that allows no disruption holds the Pod: eviction, not deletion.
    await cluster().kubectl(['create', 'poddisruptionbudget', 'hold', '--selector=app=unsigned', '--max-unavailable=0']);
    const held = await sweep(['--policy', policy, '--evict', '--dry-run=none']);
    expect(held.stdout).toContain(`${cluster().namespace}/unsigned: blocked by a PodDisruptionBudget`);
    // --dry-run=server asks the API, which the budget refuses as well: the answer is the API's.
    const heldDry = await sweep(['--policy', policy, '--evict', '--dry-run=server']);
    expect(heldDry.stdout).toContain(`${cluster().namespace}/unsigned: blocked by a PodDisruptionBudget`);
    expect(await podNames()).toEqual(['signed-a', 'signed-b', 'unsigned']);
    await cluster().kubectl(['delete', 'poddisruptionbudget', 'hold']);

    const evicted = await sweep(['--policy', policy, '--evict', '--dry-run=none']);
    expect(evicted.status).toBe(1);
    expect(evicted.stdout).toContain(`${cluster().namespace}/unsigned: evicted`);
    expect(await podNames()).toEqual(['signed-a', 'signed-b']);
    // One Event, for the one eviction: none for the dry runs nor the blocked attempt.
    const events = await policyEvents('unsigned');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Warning', source: { component: 'kubectl-trust-sweep' } });
    expect(events[0]?.message).toContain(`runs ${unsigned}, which fails the signer policy`);

    // Now everything that runs passes.
    expect((await sweep(['--policy', policy, '--evict', '--dry-run=none'])).status).toBe(0);

    // The same sweep as a CronJob: the API accepts what --print-cronjob prints, and its service
    // account may do exactly what the sweep does (list Pods, evict, record Events), nothing more.
    const printed = await sweep(['--policy', policy, '--evict', '--dry-run=none', '--print-cronjob', '--image', 'localhost/kubectl-build/kubectl-trust:test']);
    expect(printed.status, printed.stderr).toBe(0);
    await cluster().kubectl(['apply', '--dry-run=server', '-f', '-'], printed.stdout);
    await cluster().kubectl(['apply', '-f', '-'], printed.stdout);
    const { namespace } = cluster();
    const can = async (...args: string[]) =>
      (await cluster().kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${namespace}:kubectl-trust-sweep`]).catch((error: { stdout?: string }) => error.stdout ?? '')).trim();
    expect([await can('list', 'pods'), await can('create', 'pods', '--subresource=eviction'), await can('create', 'events')]).toEqual(['yes', 'yes', 'yes']);
    // Swept one namespace: a Role there, so not the others, and nothing else.
    expect([await can('delete', 'pods'), await can('get', 'secrets'), await can('list', 'pods', '-A')]).toEqual(['no', 'no', 'no']);
    const configMap = JSON.parse(await cluster().kubectl(['get', 'configmap', 'kubectl-trust-sweep-policy', '-o', 'json'])) as { data: Record<string, string> };
    expect(configMap.data['policy.yaml']).toContain('-----BEGIN PUBLIC KEY-----');
    expect(configMap.data['policy.yaml']).not.toContain(keys.publicKey);
    // Run as that service account (from here, as the CronJob's Pod would in there): it is enough.
    await runPod('unsigned-again', `${registry().host}/sweep/unsigned:1`);
    await cluster().kubectl(['wait', 'pod/unsigned-again', '--for=condition=Ready', '--timeout=90s']);
    const asJob = await sweep(['--policy', policy, '--evict', '--dry-run=none', '--kubeconfig', await serviceAccountKubeconfig('kubectl-trust-sweep')]);
    expect(asJob.stdout).toContain(`${namespace}/unsigned-again: evicted`);
    expect(await podNames()).not.toContain('unsigned-again');
    expect(await policyEvents('unsigned-again')).toHaveLength(1);
  });

  it('never evicts in kube-system, where the same image is evicted elsewhere in the same sweep', async () => {
    const keys = await generateKeyPair({ dir: scratchDir('keys'), dockerConfigDir: registry().files.dockerConfigDir }, 'sweeper3');
    const unsigned = `${registry().host}/sweep/system:1`;
    await copyBase('sweep/system');
    const policy = releasePolicy(keys.publicKey, `${registry().host}/sweep/**`);
    // The cluster is shared: a label of this namespace alone selects the two Pods, in kube-system
    // and here; the kube-system one has a name of this namespace too and is removed afterwards.
    const { namespace } = cluster();
    const label = { 'kb-sweep-test': namespace };
    const systemPod = `${namespace}-protected`;
    await cluster().kubectl(['run', systemPod, '-n', 'kube-system', `--image=${unsigned}`, '--image-pull-policy=IfNotPresent', '--restart=Never', `--labels=kb-sweep-test=${namespace}`, '--command', '--', 'sleep', '3600']);
    onTestFinished(async () => void (await cluster().kubectl(['delete', 'pod', systemPod, '-n', 'kube-system', '--wait=false'])));
    await runPod('exposed', unsigned, label);
    await cluster().kubectl(['wait', 'pod/exposed', '--for=condition=Ready', '--timeout=90s']);
    await cluster().kubectl(['wait', `pod/${systemPod}`, '-n', 'kube-system', '--for=condition=Ready', '--timeout=90s']);

    const result = await runCli('kubectl-trust', ['sweep', '-A', '--selector', `kb-sweep-test=${namespace}`, '--allow-http-registry', '--policy', policy, '--evict', '--dry-run=none'], {
      env: cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir }),
    });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toContain(`kube-system/${systemPod}: not evicted: kube-system is never swept`);
    expect(result.stdout).toContain(`${namespace}/exposed: evicted`);
    // In the cluster: the Pod here is gone, the one in kube-system runs on with no Event of ours.
    expect(await podNames()).not.toContain('exposed');
    const system = JSON.parse(await cluster().kubectl(['get', 'pod', systemPod, '-n', 'kube-system', '-o', 'json'])) as { metadata: { deletionTimestamp?: string }; status: { phase: string } };
    expect({ deleting: system.metadata.deletionTimestamp, phase: system.status.phase }).toEqual({ deleting: undefined, phase: 'Running' });
    expect(await policyEvents(systemPod, 'kube-system')).toHaveLength(0);
    expect(await policyEvents('exposed')).toHaveLength(1);
  });

  it('never evicts what it could not decide: the registry of a running image is gone, or no longer has it', async () => {
    const keys = await generateKeyPair({ dir: scratchDir('keys'), dockerConfigDir: registry().files.dockerConfigDir }, 'sweeper2');
    const image = await copyBase('sweep/elsewhere', vanishing());
    const deleted = await copyBase('sweep/deleted');
    await runPod('elsewhere', image);
    await runPod('deleted', deleted);
    await cluster().kubectl(['wait', 'pod/elsewhere', 'pod/deleted', '--for=condition=Ready', '--timeout=90s']);
    await stopProcess(vanishing().registry.process);
    // The manifest deleted from its repository (this registry allows deletes and has no auth): a 404 now.
    const manifestUrl = `${registry().registry.url}/v2/sweep/deleted/manifests/${deleted.split('@')[1]}`;
    expect((await fetch(manifestUrl, { method: 'DELETE' })).status).toBe(202);
    expect((await fetch(manifestUrl, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(404);
    const policy = releasePolicy(keys.publicKey, `**`);
    const result = await sweep(['--policy', policy, '--evict', '--dry-run=none', '-o', 'json']);
    expect(result.status).toBe(2);
    const rows = (JSON.parse(result.stdout) as { containers: Array<{ pod: string; verdict: { outcome: string }; error?: string; action?: string }> }).containers;
    const row = rows.find((entry) => entry.pod === 'elsewhere');
    expect(row?.verdict.outcome).toBe('undecided');
    expect(row?.error).toMatch(/cannot reach the registry/);
    expect(row?.action).toBeUndefined();
    const gone = rows.find((entry) => entry.pod === 'deleted');
    expect({ outcome: gone?.verdict.outcome, action: gone?.action }, gone?.error).toEqual({ outcome: 'undecided', action: undefined });
    expect(await podNames()).toEqual(expect.arrayContaining(['elsewhere', 'deleted']));
    expect(await policyEvents('elsewhere')).toHaveLength(0);
    expect(await policyEvents('deleted')).toHaveLength(0);
  });

  it('faults-registry sweep blackhole on the signature reads (--registry-timeout 2s): undecided (exit 2), the registry named, nothing evicted', async () => {
    const keys = await generateKeyPair({ dir: scratchDir('keys'), dockerConfigDir: registry().files.dockerConfigDir }, 'sweeper5');
    const image = await copyBase('sweep/blackholed');
    await runPod('blackholed', image, { suite: 'blackholed' });
    await cluster().kubectl(['wait', 'pod/blackholed', '--for=condition=Ready', '--timeout=90s']);
    await signatureStore().faults.blackhole();
    const policy = releasePolicy(keys.publicKey, `${registry().host}/sweep/**`);
    const result = await sweep(['--policy', policy, '--selector', 'suite=blackholed', '--evict', '--dry-run=none', '--registry-timeout', '2s', '-o', 'json'], { COSIGN_REPOSITORY: `${signatureStore().host}/signatures` });
    expect(result.status, result.stderr).toBe(2);
    const rows = (JSON.parse(result.stdout) as { containers: Array<{ pod: string; verdict: { outcome: string }; error?: string; action?: string }> }).containers;
    expect(rows.map((row) => [row.pod, row.verdict.outcome, row.action])).toEqual([['blackholed', 'undecided', undefined]]);
    expect(rows[0]?.error).toMatch(new RegExp(`the registry ${signatureStore().host} did not answer: no answer within 2 s`));
    expectEndedWithin(result, 25, 'sweep, blackhole');
    expect(await podNames()).toContain('blackholed');
    expect(await policyEvents('blackholed')).toHaveLength(0);
  });

  it('skips a Pod being deleted, though its image fails and it still runs', async () => {
    const keys = await generateKeyPair({ dir: scratchDir('keys'), dockerConfigDir: registry().files.dockerConfigDir }, 'sweeper4');
    await copyBase('sweep/leaving');
    const policy = releasePolicy(keys.publicKey, `${registry().host}/sweep/**`);
    const image = `${registry().host}/sweep/leaving:1`;
    // A finalizer keeps the deleted Pod's object, and a long grace period its container (sleep as
    // PID 1 ignores SIGTERM): a Pod being deleted that still runs. The finalizer goes when the test ends.
    await cluster().kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'leaving', labels: { suite: 'leaving' }, finalizers: ['kubectl-build.dev/test-hold'] },
      spec: { terminationGracePeriodSeconds: 600, restartPolicy: 'Never', containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
    }));
    onTestFinished(async () => {
      await cluster().kubectl(['patch', 'pod', 'leaving', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
      await cluster().kubectl(['delete', 'pod', 'leaving', '--grace-period=0', '--force', '--wait=false']).catch(() => '');
    });
    await runPod('staying', image, { suite: 'leaving' });
    await cluster().kubectl(['wait', 'pod/leaving', 'pod/staying', '--for=condition=Ready', '--timeout=90s']);
    await cluster().kubectl(['delete', 'pod', 'leaving', '--wait=false']);
    const leaving = JSON.parse(await cluster().kubectl(['get', 'pod', 'leaving', '-o', 'json'])) as { metadata: { deletionTimestamp?: string }; status: { phase: string } };
    expect({ deleting: leaving.metadata.deletionTimestamp !== undefined, phase: leaving.status.phase }).toEqual({ deleting: true, phase: 'Running' });

    const result = await sweep(['--policy', policy, '--selector', 'suite=leaving', '--evict', '--dry-run=none', '-o', 'json']);
    expect(result.status, result.stderr).toBe(1);
    const rows = (JSON.parse(result.stdout) as { containers: Array<{ pod: string; action?: string }> }).containers;
    expect(rows.map((row) => [row.pod, row.action])).toEqual([['staying', 'evicted']]);
    expect(await policyEvents('leaving')).toHaveLength(0);
    expect(await policyEvents('staying')).toHaveLength(1);
  });

  it('says in one sentence which permission is missing', async () => {
    const { namespace } = cluster();
    await cluster().kubectl(['create', 'serviceaccount', 'nobody']);
    const kubeconfig = await serviceAccountKubeconfig('nobody');
    const policy = join(scratchDir('policy'), 'policy.yaml');
    writeFileSync(policy, 'apiVersion: kubectl-build.dev/v1alpha1\nkind: SignerPolicy\nsigners: [{ name: k, key: "-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfvKUEjW1XlbQV52oBokl0orYEf3iUoKAeMJsh7IVe0FefxmTqdHLqqkI9gXFo6W42tcXGsrWLStmhmDyjoC/Uw==\\n-----END PUBLIC KEY-----\\n" }]\nrules: [{ images: ["**"], require: { all: [k] }, transparencyLog: optional }]\n');
    const refused = await runCli('kubectl-trust', ['sweep', '--kubeconfig', kubeconfig, '--policy', policy], { env: {} });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^error: you are not allowed to list pods in context "nobody", namespace "${namespace}"`));
    expect(refused.stderr.split('\n').filter(Boolean)).toHaveLength(2);
  });
});
