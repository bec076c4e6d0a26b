// sigstore's policy-controller in the cluster (the local one, where usePolicyController deploys the
// pinned build; or TEST_KUBECONFIG's with it installed), offline: a namespace that opted in admits a
// Pod whose image carries a signature its ClusterImagePolicy accepts (a key, or a keyless identity
// checked against the local Sigstore through a TrustRoot) and refuses an unsigned one with
// policy-controller's reason; a namespace that did not opt in is left alone. Prints the admission
// latency a Pod create sees.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tool } from '../hack/lib/paths.ts';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { useCluster, useClusterRegistry } from './harness/cluster.ts';
import { cosign, generateKeyPair, type CosignContext } from './harness/cosign.ts';
import { scratchDir } from './harness/index.ts';
import { usePolicyController } from './harness/policy-controller.ts';
import { useSigstore } from './harness/sigstore.ts';

const run = promisify(execFile);
const cluster = useCluster();
const registry = useClusterRegistry();
const sigstore = useSigstore();
const policyController = usePolicyController(cluster, { sigstore });

const suffix = randomBytes(3).toString('hex');
/** The namespace that opts in; the file's own namespace (useCluster) does not. */
const enforced = `kb-enforced-${suffix}`;
const policies: string[] = [];

afterAll(async () => {
  for (const name of policies) await cluster().kubectl(['delete', 'clusterimagepolicy', name, '--ignore-not-found']).catch(() => {});
  await cluster().kubectl(['delete', 'namespace', enforced, '--ignore-not-found', '--wait=false']).catch(() => {});
});

function cosignContext(): CosignContext {
  return { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
}

/**
 * The busybox base image copied to `repository`; `docker: true` stores it as Docker schema 2, a
 * manifest (and digest) of its own. Returns host/repository:1, its digest and digest reference.
 */
async function copyBase(repository: string, docker = false): Promise<{ tag: string; digest: string; byDigest: string }> {
  const tag = `${registry().host}/${repository}:1`;
  const flags = (side: 'src' | 'dest' | '') => skopeoRegistryFlags(registry().registry, registry().files, side);
  await skopeo(['copy', '--quiet', ...(docker ? ['--format', 'v2s2'] : []), ...flags('src'), ...flags('dest'), `docker://${registry().baseImage}`, `docker://${tag}`]);
  const digest = (await skopeo(['inspect', '--format', '{{.Digest}}', ...flags(''), `docker://${tag}`])).trim();
  return { tag, digest, byDigest: `${tag.replace(/:1$/, '')}@${digest}` };
}

async function applyPolicy(name: string, spec: object): Promise<void> {
  policies.push(name);
  await cluster().kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'policy.sigstore.dev/v1beta1', kind: 'ClusterImagePolicy', metadata: { name }, spec }));
  // Admission uses a policy once policy-controller has compiled it.
  await cluster().kubectl(['wait', `clusterimagepolicy/${name}`, '--for=condition=Ready', '--timeout=60s']);
}

/**
 * Creates a Pod running `image` in `namespace`; resolves to the milliseconds the API server took to
 * answer the create (kubectl -v=6 reports it), admission webhooks included.
 */
async function createPod(namespace: string, name: string, image: string): Promise<number> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } };
  const child = run(tool('kubectl'), ['--kubeconfig', cluster().kubeconfig, '-v=6', 'create', '-f', '-', '-n', namespace], { encoding: 'utf8' });
  child.child.stdin?.end(JSON.stringify(pod));
  const { stderr } = await child.catch((error: { stderr?: string }) => {
    throw new Error((error.stderr ?? '').split('\n').filter((line) => !/^I\d{4} /.test(line)).join('\n'), { cause: error });
  });
  return Number(/"Response" verb="POST" url="[^"]+\/pods\?[^"]*" status="201 Created" milliseconds=(\d+)/.exec(stderr)?.[1]);
}

async function podImage(namespace: string, name: string): Promise<string> {
  return cluster().kubectl(['get', 'pod', name, '-n', namespace, '-o', 'jsonpath={.spec.containers[0].image}']);
}

describe('policy-controller enforcing signatures in a namespace that opted in', () => {
  it('admits a Pod of an image signed with the policy key, refuses an unsigned one with its reason, leaves other namespaces alone', async () => {
    await cluster().kubectl(['create', 'namespace', enforced]);
    await cluster().kubectl(['label', 'namespace', enforced, 'policy.sigstore.dev/include=true', '-n', enforced]);
    const context = cosignContext();
    const keys = await generateKeyPair(context, 'admission');
    const signed = await copyBase('policy/key/signed');
    const unsigned = await copyBase('policy/key/unsigned', true);
    expect(unsigned.digest).not.toBe(signed.digest);
    const sign = (image: string, format: string[]) => cosign('cosign-v3', context, ['sign', '--yes', '--key', keys.privateKey, '--use-signing-config=false', ...format, '--tlog-upload=false', '--allow-http-registry', image], keys.password);
    await sign(signed.byDigest, ['--new-bundle-format=false']);
    // cosign v3's default layout, a Sigstore bundle: policy-controller v0.15.1 does not read it for key
    // authorities (sigstore/policy-controller#1958), so such an image is refused as unsigned.
    const bundled = await copyBase('policy/key/bundled');
    await sign(bundled.byDigest, []);
    const policy = `kb-test-key-${suffix}`;
    await applyPolicy(policy, { images: [{ glob: `${registry().host}/policy/key/**` }], authorities: [{ name: 'release-key', key: { data: readFileSync(keys.publicKey, 'utf8') } }] });

    const first = await createPod(enforced, 'signed', signed.tag);
    // Its mutating webhook pins the tag to the digest it verified.
    expect(await podImage(enforced, 'signed')).toBe(`${signed.tag}@${signed.digest}`);
    await cluster().kubectl(['wait', 'pod/signed', '-n', enforced, '--for=condition=Ready', '--timeout=90s']);
    const repeated: number[] = [];
    for (let n = 0; n < 3; n++) repeated.push(await createPod(enforced, `signed-${n}`, signed.tag));

    const refused = await createPod(enforced, 'unsigned', unsigned.tag).then(() => '', (error: Error) => error.message);
    expect(refused).toContain(`admission webhook "policy.sigstore.dev" denied the request: validation failed: failed policy: ${policy}: spec.containers[0].image`);
    expect(refused).toContain(`${unsigned.tag}@${unsigned.digest} signature key validation failed for authority release-key for ${unsigned.byDigest}: no signatures found`);
    await expect(cluster().kubectl(['get', 'pod', 'unsigned', '-n', enforced])).rejects.toThrow(/NotFound|not found/);

    const bundleRefused = await createPod(enforced, 'bundled', bundled.tag).then(() => '', (error: Error) => error.message);
    expect(bundleRefused).toMatch(/signature key validation failed for authority release-key for \S+: no signatures found/);

    // An image that no policy matches is refused too, in a namespace that opted in (upstream's default).
    const unmatched = await copyBase('unmatched/app');
    const noMatch = await createPod(enforced, 'unmatched', unmatched.tag).then(() => '', (error: Error) => error.message);
    expect(noMatch).toMatch(/admission webhook "policy\.sigstore\.dev" denied the request: validation failed: no matching policies: spec\.containers\[0\]\.image/);
    await expect(cluster().kubectl(['get', 'pod', 'unmatched', '-n', enforced])).rejects.toThrow(/NotFound|not found/);

    // The file's own namespace did not opt in: the unsigned image is admitted, its tag untouched.
    const baseline = await createPod(cluster().namespace, 'unsigned', unsigned.tag);
    expect(await podImage(cluster().namespace, 'unsigned')).toBe(unsigned.tag);

    const ms = (value: number) => `${value} ms`;
    process.stderr.write(`Pod create as the API server answered it: signed image first ${ms(first)}, repeated ${repeated.map(ms).join(', ')}; namespace without policy-controller ${ms(baseline)}${policyController().readyMs === undefined ? '' : `; policy-controller deployed and answering in ${ms(policyController().readyMs as number)}`}\n`);
    expect([first, ...repeated, baseline].every((value) => value > 0)).toBe(true);
  });

  it('checks a keyless signature against the local Fulcio, CT log and Rekor through a TrustRoot', async () => {
    const trustRoot = policyController().trustRoot as string;
    const image = await copyBase('policy/keyless/app');
    const s = sigstore();
    const context = cosignContext();
    // A file: cosign v2 takes a value that is not one for a path, and fails on a name this long.
    const token = join(context.dir, 'token');
    writeFileSync(token, await s.token());
    await cosign('cosign-v2', context, ['sign', '--yes', '--fulcio-url', s.fulcioUrl, '--rekor-url', s.rekorUrl, '--trusted-root', s.trustedRootPath, '--identity-token', token, '--allow-http-registry', image.byDigest]);
    const policy = `kb-test-keyless-${suffix}`;
    await applyPolicy(policy, {
      images: [{ glob: `${registry().host}/policy/keyless/**` }],
      authorities: [{
        name: 'ci-identity',
        keyless: { trustRootRef: trustRoot, identities: [{ issuer: s.issuerUrl, subject: s.identity }] },
        ctlog: { trustRootRef: trustRoot },
      }],
    });
    await createPod(enforced, 'keyless', image.tag);
    expect(await podImage(enforced, 'keyless')).toBe(`${image.tag}@${image.digest}`);

    const other = await copyBase('policy/keyless/unsigned', true);
    const refused = await createPod(enforced, 'keyless-unsigned', other.tag).then(() => '', (error: Error) => error.message);
    expect(refused).toMatch(new RegExp(`failed policy: ${policy}: spec\\.containers\\[0\\]\\.image\\n.*signature keyless validation failed for authority ci-identity`));
  });
});
