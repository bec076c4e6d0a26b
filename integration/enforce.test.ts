// The trust chain end to end on the local cluster: images built and signed by `kubectl build --sign`
// (a key and a keyless identity), a two-signer policy exported by `kubectl trust export` to
// policy-controller and applied, and Pods created in a namespace that opted in. Every case is
// admitted or refused by policy-controller with its reason, and `kubectl trust verify --policy`
// gives the same answer for the same image; a namespace that did not opt in is untouched.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tool } from '../hack/lib/paths.ts';
import { runCli, type CliResult } from './harness/cli.ts';
import { useCluster, useClusterRegistry, writeBuildkitdConfig } from './harness/cluster.ts';
import { generateKeyPair } from './harness/cosign.ts';
import { scratchDir } from './harness/index.ts';
import { usePolicyController } from './harness/policy-controller.ts';
import { useSigstore } from './harness/sigstore.ts';

const run = promisify(execFile);
const cluster = useCluster();
const registry = useClusterRegistry();
const sigstore = useSigstore();
usePolicyController(cluster);

const suffix = randomBytes(3).toString('hex');
const enforced = `kb-enforce-${suffix}`;
const exportName = `kb-enforce-${suffix}`;
const exported: string[] = [];

afterAll(async () => {
  for (const object of exported) await cluster().kubectl(['delete', object, '--ignore-not-found']).catch(() => {});
  await cluster().kubectl(['delete', 'namespace', enforced, '--ignore-not-found', '--wait=false']).catch(() => {});
});

function build(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const s = sigstore();
  return runCli(
    'kubectl-build',
    ['--progress=plain', '-n', cluster().namespace, '--builder', 'enforcer', '--allow-http-registry', '--rekor-url', s.rekorUrl, '--fulcio-url', s.fulcioUrl, '--oidc-issuer', s.issuerUrl, ...args],
    { env: cluster().env({ DOCKER_CONFIG: registry().files.dockerConfigDir, SIGSTORE_ID_TOKEN: undefined, COSIGN_EXPERIMENTAL: undefined, ...env }) },
  );
}

/** Builds a one-file image under enforce/NAME:1 and pushes it; returns its digest. */
async function buildImage(name: string, content: string, signArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const dir = scratchDir('context');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo ${content} > /marker\n`);
  const result = await build(['-t', `${registry().host}/enforce/${name}:1`, '--push', ...signArgs, dir], env);
  expect(result.status, result.stderr.slice(-1500)).toBe(0);
  return /pushed \S+ as (sha256:[0-9a-f]{64})/.exec(result.stderr)?.[1] as string;
}

/** Creates a Pod of `image` in `namespace`: '' when admitted, else the API server's refusal. */
async function admission(namespace: string, name: string, image: string): Promise<string> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } };
  const child = run(tool('kubectl'), ['--kubeconfig', cluster().kubeconfig, 'create', '-f', '-', '-n', namespace], { encoding: 'utf8' });
  child.child.stdin?.end(JSON.stringify(pod));
  return child.then(
    () => '',
    (error: { stderr?: string }) => error.stderr ?? 'refused',
  );
}

describe('kubectl build --sign, kubectl trust export, policy-controller admission', () => {
  it('admits only what carries every required signature, as kubectl trust verify --policy says', async () => {
    const builderConfig = writeBuildkitdConfig(registry(), scratchDir('config'));
    const created = await runCli('kubectl-buildkit', ['create', 'enforcer', '--worker', 'runc', '--config', builderConfig, '-n', cluster().namespace], { env: cluster().env() });
    expect(created.status, created.stderr).toBe(0);
    const keys = await generateKeyPair({ dir: scratchDir('keys'), dockerConfigDir: registry().files.dockerConfigDir }, 'developer');
    const s = sigstore();
    const withKey = ['--sign', '--cosign-key', keys.privateKey];
    const keyEnv = { COSIGN_PASSWORD: keys.password };
    const keyless = async (subject?: string) => ({ SIGSTORE_ID_TOKEN: await s.token(subject ? { subject } : {}) });

    // Each image is built, then the same build (cached: the same digest) signed a second time.
    const both = await buildImage('both', 'both', withKey, keyEnv);
    expect(await buildImage('both', 'both', ['--sign'], await keyless())).toBe(both);
    await buildImage('key-only', 'key-only', withKey, keyEnv);
    await buildImage('wrong-identity', 'wrong-identity', withKey, keyEnv);
    await buildImage('wrong-identity', 'wrong-identity', ['--sign'], await keyless('someone-else@kubectl-build.example.com'));
    await buildImage('unsigned', 'unsigned');
    // A tag moved after signing: signed by both, then the tag points at another build.
    await buildImage('moved', 'moved-signed', withKey, keyEnv);
    await buildImage('moved', 'moved-signed', ['--sign'], await keyless());
    await buildImage('moved', 'moved-later');

    const policy = join(scratchDir('policy'), 'policy.yaml');
    writeFileSync(policy, `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
trustedRoot: ${s.trustedRootPath}
signers:
  - { name: developer, key: ${keys.publicKey} }
  - name: ci
    keyless: { identity: ${s.identity}, issuer: ${s.issuerUrl} }
rules:
  - name: release
    images: ["${registry().host}/enforce/**"]
    require: { all: [developer, ci] }
`);
    const objects = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'policy-controller', '--name', exportName, '-o', 'json']);
    expect(objects.status, objects.stderr).toBe(0);
    const items = (JSON.parse(objects.stdout) as { items: Array<{ kind: string; metadata: { name: string } }> }).items;
    exported.push(...items.map((item) => `${item.kind.toLowerCase()}/${item.metadata.name}`));
    // --apply: the engine is checked, then each object applied server-side (a second run updates them).
    for (let run = 0; run < 2; run++) {
      const applied = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'policy-controller', '--name', exportName, '--apply'], { env: cluster().env() });
      expect(applied.status, applied.stderr).toBe(0);
      expect(applied.stdout.trim().split('\n')).toEqual(exported.map((object) => `${object} serverside-applied`));
    }
    // The README's pipe: the default output (YAML) taken by kubectl apply, every object accepted by
    // the API against policy-controller's CRDs (a server dry run: the objects above stay as applied).
    const yaml = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'policy-controller', '--name', exportName]);
    expect(yaml.status, yaml.stderr).toBe(0);
    const piped = await cluster().kubectl(['apply', '--dry-run=server', '-f', '-'], yaml.stdout);
    expect(piped.trim().split('\n').map((line) => line.replace(/^(\w+)\.policy\.sigstore\.dev\/(\S+) \w+ \(server dry run\)$/, '$1/$2'))).toEqual(exported);
    for (const item of items.filter((object) => object.kind === 'ClusterImagePolicy')) {
      await cluster().kubectl(['wait', `clusterimagepolicy/${item.metadata.name}`, '--for=condition=Ready', '--timeout=60s']);
    }
    await cluster().kubectl(['create', 'namespace', enforced]);
    await cluster().kubectl(['label', 'namespace', enforced, 'policy.sigstore.dev/include=true', '-n', enforced]);

    const expected = { both: 'admitted', 'key-only': 'refused', 'wrong-identity': 'refused', unsigned: 'refused', moved: 'refused' } as const;
    for (const [name, outcome] of Object.entries(expected)) {
      const image = `${registry().host}/enforce/${name}:1`;
      const [refusal, verdict] = await Promise.all([
        admission(enforced, name, image),
        runCli('kubectl-trust', ['verify', '--policy', policy, '--allow-http-registry', image], { env: { DOCKER_CONFIG: registry().files.dockerConfigDir } }),
      ]);
      const admitted = refusal === '' ? 'admitted' : 'refused';
      expect({ image: name, admission: admitted, verify: verdict.status === 0 ? 'admitted' : verdict.status === 1 ? 'refused' : `undecided: ${verdict.stdout}` }).toEqual({ image: name, admission: outcome, verify: outcome });
      // Refused with policy-controller's own reason, naming the exported policy that failed.
      if (admitted === 'refused') expect(refusal).toMatch(new RegExp(`admission webhook "policy\\.sigstore\\.dev" denied the request: validation failed: failed policy: ${exportName}-release-`));
    }
    // The namespace that did not opt in: the unsigned image runs, its tag untouched.
    expect(await admission(cluster().namespace, 'unsigned', `${registry().host}/enforce/unsigned:1`)).toBe('');
    expect(await cluster().kubectl(['get', 'pod', 'unsigned', '-o', 'jsonpath={.spec.containers[0].image}'])).toBe(`${registry().host}/enforce/unsigned:1`);

    // --apply where the engine is missing, or serves another version of its API: one sentence each.
    const noKyverno = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'kyverno', '--apply'], { env: cluster().env() });
    expect(noKyverno.status).toBe(2);
    expect(noKyverno.stderr).toMatch(/^error: Kyverno is not installed in context "[^"]+", namespace "[^"]+": the cluster has no ClusterPolicy kind \(clusterpolicies\.kyverno\.io\)\nhint: install Kyverno, or leave out --apply/);
    const crd = `clusterimagepolicies.config.openshift.io`;
    exported.push(`customresourcedefinition/${crd}`);
    await cluster().kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: crd },
      spec: { group: 'config.openshift.io', scope: 'Cluster', names: { plural: 'clusterimagepolicies', singular: 'clusterimagepolicy', kind: 'ClusterImagePolicy' },
        versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    }));
    const oldApi = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'openshift', '--apply'], { env: cluster().env() });
    expect(oldApi.status).toBe(2);
    expect(oldApi.stderr).toMatch(/^error: the cluster's ClusterImagePolicy \(clusterimagepolicies\.config\.openshift\.io\) serves v1alpha1, not the v1 this export writes\n/m);
    // RBAC: a service account that may not write policies.
    await cluster().kubectl(['create', 'serviceaccount', 'reader']);
    const token = (await cluster().kubectl(['create', 'token', 'reader'])).trim();
    const refused = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'policy-controller', '--apply', '--kubeconfig', readerKubeconfig(token)], { env: {} });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^error: you are not allowed to patch trustroots\.policy\.sigstore\.dev in /);
  });
});

function readerKubeconfig(token: string): string {
  const file = join(scratchDir('kubeconfig'), 'config');
  const source = JSON.parse(readFileSync(cluster().kubeconfig, 'utf8').startsWith('{') ? readFileSync(cluster().kubeconfig, 'utf8') : JSON.stringify(parse(readFileSync(cluster().kubeconfig, 'utf8')))) as {
    clusters: Array<{ name: string; cluster: Record<string, string> }>;
  };
  const entry = source.clusters[0] as { name: string; cluster: Record<string, string> };
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'reader', clusters: [entry],
    users: [{ name: 'reader', user: { token } }],
    contexts: [{ name: 'reader', context: { cluster: entry.name, user: 'reader', namespace: cluster().namespace } }],
  }));
  return file;
}
