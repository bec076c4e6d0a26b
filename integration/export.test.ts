// kubectl trust export, judged by the engine it exports to: the ClusterImagePolicies (and TrustRoot)
// it writes are given to policy-controller's own policy-tester, image by image, and its verdict must
// equal `kubectl trust verify --policy` on the same policy file, for images signed by every required
// signer, by some, by others, and by none.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { tool } from '../hack/lib/paths.ts';
import { runCli } from './harness/cli.ts';
import { cosign, generateKeyPair, type CosignContext, type KeyPair } from './harness/cosign.ts';
import { scratchDir, useRegistry } from './harness/index.ts';
import { pushRandomImage, type PushedImage } from './harness/random-image.ts';
import { useSigstore } from './harness/sigstore.ts';

const run = promisify(execFile);
const registry = useRegistry({ kind: 'oci', auth: true });
const sigstore = useSigstore();

let dev: KeyPair;
let other: KeyPair;

function cosignContext(): CosignContext {
  return { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
}

beforeAll(async () => {
  const dir = join(scratchDirForFile(), 'keys');
  mkdirSync(dir, { recursive: true });
  const context = { dir, dockerConfigDir: registry().files.dockerConfigDir };
  [dev, other] = await Promise.all([generateKeyPair(context, 'dev'), generateKeyPair(context, 'other')]);
});

function scratchDirForFile(): string {
  const dir = join(process.env.TMPDIR ?? '/tmp', `kb-export-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function signWithKey(image: PushedImage, key: KeyPair): Promise<void> {
  const s = sigstore();
  await cosign('cosign-v2', cosignContext(), ['sign', '--yes', '--key', key.privateKey, '--new-bundle-format=false', '--rekor-url', s.rekorUrl, '--trusted-root', s.trustedRootPath, image.byDigest], key.password);
}

async function signKeyless(image: PushedImage, subject?: string): Promise<void> {
  const s = sigstore();
  const token = join(scratchDir('token'), 'id-token');
  writeFileSync(token, await s.token(subject ? { subject } : {}), { mode: 0o600 });
  await cosign('cosign-v2', cosignContext(), ['sign', '--yes', '--fulcio-url', s.fulcioUrl, '--rekor-url', s.rekorUrl, '--trusted-root', s.trustedRootPath, '--identity-token', token, image.byDigest]);
}

function policyFile(require: string): string {
  const s = sigstore();
  const file = join(scratchDir('policy'), 'policy.yaml');
  writeFileSync(
    file,
    `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
metadata: { name: export-test }
trustedRoot: ${s.trustedRootPath}
signers:
  - { name: dev, key: ${dev.publicKey} }
  - name: ci
    keyless: { identity: ${s.identity}, issuer: ${s.issuerUrl} }
rules:
  - name: app
    images: ["${registry().host}/export/**"]
    require: ${require}
`,
  );
  return file;
}

/** policy-tester's verdict over every exported ClusterImagePolicy: all must pass (as admission requires). */
async function policyTester(policy: string, image: string): Promise<'pass' | 'fail'> {
  const exported = await runCli('kubectl-trust', ['export', '--policy', policy, '--to', 'policy-controller', '-o', 'json']);
  expect(exported.status, exported.stderr).toBe(0);
  const objects = JSON.parse(exported.stdout).items as Array<{ kind: string; metadata: { name: string } }>;
  const dir = scratchDir('exported');
  const trustRoot = objects.find((object) => object.kind === 'TrustRoot');
  const trustRootFile = join(dir, 'trustroot.yaml');
  if (trustRoot) writeFileSync(trustRootFile, stringify(trustRoot));
  const policies = objects.filter((object) => object.kind === 'ClusterImagePolicy');
  expect(policies.length).toBeGreaterThan(0);
  const verdicts = await Promise.all(
    policies.map(async (cip) => {
      const file = join(dir, `${cip.metadata.name}.yaml`);
      writeFileSync(file, stringify(cip));
      const args = ['-policy', file, '-image', image, ...(trustRoot ? ['-trustroot', trustRootFile] : [])];
      return run(tool('policy-tester'), args, { env: { ...process.env, DOCKER_CONFIG: registry().files.dockerConfigDir }, timeout: 60_000 }).then(
        () => 'pass' as const,
        (error: { stdout?: string; stderr?: string }) => {
          // A refusal for the signatures' sake, not a tester that could not read the registry or the policy.
          const said = `${error.stdout ?? ''}${error.stderr ?? ''}`;
          expect(said).not.toMatch(/connection refused|UNAUTHORIZED|no such host|failed to parse|unknown field/i);
          expect(said).toMatch(/signature|no matching|failed policy/i);
          return 'fail' as const;
        },
      );
    }),
  );
  return verdicts.every((verdict) => verdict === 'pass') ? 'pass' : 'fail';
}

async function ours(policy: string, image: string): Promise<'pass' | 'fail' | 'undecided'> {
  const result = await runCli('kubectl-trust', ['verify', '--policy', policy, image], { env: { DOCKER_CONFIG: registry().files.dockerConfigDir } });
  return result.status === 0 ? 'pass' : result.status === 1 ? 'fail' : 'undecided';
}

describe('kubectl trust export --to policy-controller, judged by policy-controller’s policy-tester', () => {
  it('gives the verdict kubectl trust verify gives, for all-of and any-of signers', async () => {
    const both = await pushRandomImage(registry(), 'export/app', 'both');
    const keyOnly = await pushRandomImage(registry(), 'export/app', 'key-only');
    const keylessOnly = await pushRandomImage(registry(), 'export/app', 'keyless-only');
    const strangers = await pushRandomImage(registry(), 'export/app', 'strangers');
    const unsigned = await pushRandomImage(registry(), 'export/app', 'unsigned');
    await Promise.all([signWithKey(both, dev), signWithKey(keyOnly, dev), signWithKey(strangers, other)]);
    await signKeyless(both);
    await signKeyless(keylessOnly);
    await signKeyless(strangers, 'someone-else@kubectl-build.example.com');

    const expected = {
      'all: [dev, ci]': { both: 'pass', 'key-only': 'fail', 'keyless-only': 'fail', strangers: 'fail', unsigned: 'fail' },
      'anyOf: [dev, ci]': { both: 'pass', 'key-only': 'pass', 'keyless-only': 'pass', strangers: 'fail', unsigned: 'fail' },
    } as const;
    const images = { both, 'key-only': keyOnly, 'keyless-only': keylessOnly, strangers, unsigned };
    for (const [require, verdicts] of Object.entries(expected)) {
      const policy = policyFile(`{ ${require} }`);
      for (const [name, image] of Object.entries(images)) {
        const [mine, theirs] = await Promise.all([ours(policy, image.byDigest), policyTester(policy, image.byDigest)]);
        expect({ require, image: name, ours: mine, 'policy-tester': theirs }).toEqual({ require, image: name, ours: verdicts[name as keyof typeof verdicts], 'policy-tester': verdicts[name as keyof typeof verdicts] });
      }
    }
  });
});

describe('kubectl trust export, what an engine cannot express', () => {
  function anyOfPolicy(pattern: string): string {
    const file = join(scratchDir('policy'), 'policy.yaml');
    writeFileSync(file, `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
signers:
  - { name: dev, key: ${dev.publicKey} }
  - { name: qa, key: ${other.publicKey} }
rules:
  - name: app
    images: ["${pattern}"]
    require: { anyOf: [dev, qa] }
    transparencyLog: optional
`);
    return file;
  }

  it('refuses in one sentence naming the rule, with nothing on stdout for kubectl apply to take half of', async () => {
    const refused = await runCli('kubectl-trust', ['export', '--policy', anyOfPolicy(`${registry().host}/export/**`), '--to', 'openshift']);
    expect({ status: refused.status, stdout: refused.stdout }).toEqual({ status: 2, stdout: '' });
    expect(refused.stderr).toMatch(/^error: rule "app" cannot be exported to openshift: any of \[dev, qa\] [^\n]+\nhint: [^\n]+\n$/);
  });

  it('warns on stderr where the engine is stricter, and still writes every object', async () => {
    const written = await runCli('kubectl-trust', ['export', '--policy', anyOfPolicy(`${registry().host}/export/app`), '--to', 'policy-controller', '-o', 'json']);
    expect(written.status, written.stderr).toBe(0);
    expect(written.stderr).toMatch(/^warning: rule "app": [^\n]+"[^"]+\/export\/app\*" also covers repositories [^\n]+\n$/);
    const items = (JSON.parse(written.stdout) as { items: Array<{ kind: string; spec: { images: Array<{ glob: string }>; authorities: unknown[] } }> }).items;
    // One policy for anyOf; each key twice, in the legacy and the bundle layout (docs/enforce.md).
    expect(items.map((item) => [item.kind, item.spec.images, item.spec.authorities.length])).toEqual([['ClusterImagePolicy', [{ glob: `${registry().host}/export/app*` }], 4]]);
  });
});
