import { existsSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { crdSchema, kyvernoCrdPath } from '../../hack/lib/crd-schema.ts';
import { parsePolicy } from '../policy/index.ts';
import { ecKeys, makeCa, makeLog, pemOf, spkiDer, trustedRoot } from '../verify/test-sigstore.ts';
import { exportPolicy, readTrustMaterial, type ExportTarget } from './index.ts';

const DEV = pemOf(spkiDer(ecKeys().publicKey), 'PUBLIC KEY');
const QA = pemOf(spkiDer(ecKeys().publicKey), 'PUBLIC KEY');

function policy(rules: string, extraSigners = ''): ReturnType<typeof parsePolicy> {
  return parsePolicy(
    `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
metadata: { name: release }
signers:
  - name: dev
    key: /keys/dev.pub
  - name: qa
    key: /keys/qa.pub
  - name: ci
    keyless: { identity: ci@example.com, issuer: https://issuer.example.com }
  - name: reviewers
    keyless: { identityRegExp: '.*@example\\.com', issuer: https://issuer.example.com }
${extraSigners}rules:
${rules}`,
    'release.yaml',
  );
}

const keys = new Map([
  ['dev', DEV],
  ['qa', QA],
]);

function exported(target: ExportTarget, rules: string, withTrust = false) {
  const log = makeLog();
  const ca = makeCa('fulcio.test');
  const trust = withTrust ? readTrustMaterial(trustedRoot({ log, ca }), 'trusted_root.json') : undefined;
  return exportPolicy(target, { policy: policy(rules), keys, ...(trust ? { trust } : {}), name: 'release' });
}

const kinds = (objects: readonly Record<string, unknown>[]) => objects.map((object) => `${object.kind}/${(object.metadata as { name: string }).name}`);
type Cip = { spec: { images: Array<{ glob: string }>; authorities: Array<Record<string, unknown>> } };

describe('export to policy-controller', () => {
  it('makes one ClusterImagePolicy per signer of `all` (policies AND), one with every signer of `anyOf` (authorities OR)', () => {
    const { objects } = exported('policy-controller', '  - name: app\n    images: ["reg.example.com/app/**"]\n    require: { all: [dev, ci], anyOf: [qa, reviewers] }\n');
    expect(kinds(objects)).toEqual(['ClusterImagePolicy/release-app-dev', 'ClusterImagePolicy/release-app-ci', 'ClusterImagePolicy/release-app-qa-reviewers']);
    const [dev, ci, any] = objects as unknown as Cip[];
    expect(dev?.spec.images).toEqual([{ glob: 'reg.example.com/app/**' }]);
    // Each signer in both layouts: policy-controller reads one layout per authority.
    expect(dev?.spec.authorities).toEqual([
      { name: 'dev', key: { data: DEV, hashAlgorithm: 'sha256' }, ctlog: { url: 'https://rekor.sigstore.dev' } },
      { name: 'dev-bundle', key: { data: DEV, hashAlgorithm: 'sha256' }, ctlog: { url: 'https://rekor.sigstore.dev' }, signatureFormat: 'bundle' },
    ]);
    expect(ci?.spec.authorities[0]).toMatchObject({ keyless: { identities: [{ issuer: 'https://issuer.example.com', subject: 'ci@example.com' }] } });
    // Go's regexps are unanchored: ours are exported anchored.
    expect(any?.spec.authorities.map((authority) => authority.name)).toEqual(['qa', 'qa-bundle', 'reviewers', 'reviewers-bundle']);
    expect(any?.spec.authorities[2]).toMatchObject({ keyless: { identities: [{ subjectRegExp: '^(?:.*@example\\.com)$' }] } });
  });

  it('inlines the trusted root as a TrustRoot the authorities refer to, and turns the log off where the rule makes it optional', () => {
    const { objects } = exported('policy-controller', '  - images: ["reg.example.com/**"]\n    require: { anyOf: [dev, ci] }\n    transparencyLog: optional\n', true);
    expect(kinds(objects)).toEqual(['TrustRoot/release-trust-root', 'ClusterImagePolicy/release-rule-1-dev-ci']);
    const root = objects[0] as { spec: { sigstoreKeys: { certificateAuthorities: Array<{ certChain: string; subject: unknown }>; tLogs: Array<{ publicKey: string }> } } };
    expect(Buffer.from(root.spec.sigstoreKeys.certificateAuthorities[0]?.certChain ?? '', 'base64').toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(root.spec.sigstoreKeys.certificateAuthorities[0]?.subject).toEqual({ organization: expect.any(String), commonName: 'fulcio.test' });
    expect(Buffer.from(root.spec.sigstoreKeys.tLogs[0]?.publicKey ?? '', 'base64').toString()).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const cip = objects[1] as unknown as Cip;
    expect(cip.spec.authorities[0]).toMatchObject({ ctlog: {} });
    expect(cip.spec.authorities[2]).toMatchObject({ keyless: { trustRootRef: 'release-trust-root' }, ctlog: {} });
  });

  it('refuses what it cannot express, naming the rule and why', () => {
    const refuse = (rules: string) => () => exported('policy-controller', rules);
    expect(refuse('  - name: two-of-three\n    images: ["r/**"]\n    require: { threshold: { count: 2, of: [dev, qa, ci] } }\n')).toThrow(
      'rule "two-of-three" cannot be exported to policy-controller: 2 of [dev, qa, ci] is a threshold between one and all, which policy-controller cannot count (authorities in a policy are OR-ed)',
    );
    expect(refuse('  - name: ann\n    images: ["r/**"]\n    require: { all: [dev] }\n    annotations: { env: prod }\n')).toThrow(/rule "ann" .*payload annotations/);
    expect(refuse('  - name: multi\n    images: ["r/**"]\n    require: { all: [dev] }\n    platforms: true\n')).toThrow(/rule "multi" .*platform image/);
    expect(refuse('  - name: tagged\n    images: ["r/app:1.*"]\n    require: { all: [dev] }\n')).toThrow(/rule "tagged" .*names a tag/);
    expect(refuse('  - name: q\n    images: ["r/ap?"]\n    require: { all: [dev] }\n')).toThrow(/rule "q" .*uses \?/);
    // A threshold of one or of all is just anyOf or all.
    expect(kinds(exported('policy-controller', '  - images: ["r/**"]\n    require: { threshold: { count: 2, of: [dev, qa] } }\n').objects)).toHaveLength(2);
  });

  it('warns where its glob matches more than the rule (a repository name cannot end a glob)', () => {
    const { objects, warnings } = exported('policy-controller', '  - images: ["reg.example.com/app", "reg.example.com/team/*"]\n    require: { all: [dev] }\n');
    expect((objects[0] as unknown as Cip).spec.images).toEqual([{ glob: 'reg.example.com/app*' }, { glob: 'reg.example.com/team/*' }]);
    expect(warnings).toEqual([expect.stringContaining('"reg.example.com/app*" also covers repositories whose names start with "reg.example.com/app"')]);
  });
});

describe('export to Kyverno', () => {
  const kyvernoCrd = kyvernoCrdPath('kyverno.io_clusterpolicies.yaml');

  it('maps all / anyOf / threshold to attestors (AND-ed, each counting N of its entries), annotations to every entry', () => {
    const { objects } = exported(
      'kyverno',
      '  - name: app\n    images: ["reg.example.com/app"]\n    require: { all: [dev, ci], threshold: { count: 2, of: [dev, qa, reviewers] } }\n    annotations: { env: prod }\n',
      true,
    );
    const [policyObject] = objects as Array<{ spec: { rules: Array<{ verifyImages: Array<{ imageReferences: string[]; attestors: Array<{ count?: number; entries: Array<Record<string, unknown>> }> }> }> } }>;
    const verify = policyObject?.spec.rules[0]?.verifyImages[0];
    expect(verify?.imageReferences).toEqual(['reg.example.com/app', 'reg.example.com/app:*', 'reg.example.com/app@*']);
    expect(verify?.attestors.map((attestor) => [attestor.count, attestor.entries.length])).toEqual([[undefined, 2], [2, 3]]);
    const [keyEntry, keylessEntry] = verify?.attestors[0]?.entries ?? [];
    expect(keyEntry).toMatchObject({ keys: { publicKeys: DEV, rekor: { url: expect.stringMatching(/^http/), pubkey: expect.stringMatching(/^-----BEGIN PUBLIC KEY/) } }, annotations: { env: 'prod' } });
    expect(keylessEntry).toMatchObject({ keyless: { subject: 'ci@example.com', issuer: 'https://issuer.example.com', roots: expect.stringMatching(/^-----BEGIN CERTIFICATE/) } });
    expect(verify?.attestors[1]?.entries[2]).toMatchObject({ keyless: { subjectRegExp: '^(?:.*@example\\.com)$' } });
  });

  it('writes objects that Kyverno’s published ClusterPolicy schema accepts, unknown fields included (they would be pruned)', () => {
    expect(existsSync(kyvernoCrd), `${kyvernoCrd} is missing: run hack/tools.sh install`).toBe(true);
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(crdSchema(kyvernoCrd, 'v1'));
    const rules = [
      '  - name: app\n    images: ["reg.example.com/app/**"]\n    require: { all: [dev, ci], anyOf: [qa, reviewers] }\n    annotations: { env: prod }\n',
      '  - images: ["reg.example.com/*"]\n    require: { threshold: { count: 2, of: [dev, qa, ci] } }\n    transparencyLog: optional\n',
    ];
    for (const withTrust of [false, true]) {
      for (const rule of rules) {
        const [object] = exported('kyverno', rule, withTrust).objects;
        expect(validate(object), JSON.stringify(validate.errors, null, 2)).toBe(true);
      }
    }
    // The check can fail: a field Kyverno does not know is caught.
    const [object] = exported('kyverno', rules[0] as string).objects as Array<{ spec: Record<string, unknown> }>;
    expect(validate({ ...object, spec: { ...object?.spec, verifyImagez: true } })).toBe(false);
  });

  it('refuses rules that require every platform image, which Kyverno does not check', () => {
    expect(() => exported('kyverno', '  - name: multi\n    images: ["r/**"]\n    require: { all: [dev] }\n    platforms: true\n')).toThrow(/rule "multi" cannot be exported to kyverno: .*platform image/);
  });
});

describe('export to OpenShift', () => {
  it('makes one ClusterImagePolicy per required signer with its root of trust; scopes for repositories', () => {
    const { objects, warnings } = exported('openshift', '  - name: app\n    images: ["reg.example.com/app/**", "reg.example.com/base"]\n    require: { all: [dev, ci] }\n', true);
    expect(kinds(objects)).toEqual(['ClusterImagePolicy/release-app-dev', 'ClusterImagePolicy/release-app-ci']);
    const [dev, ci] = objects as Array<{ spec: { scopes: string[]; policy: { rootOfTrust: Record<string, Record<string, unknown>> } } }>;
    expect(dev?.spec.scopes).toEqual(['reg.example.com/app', 'reg.example.com/base']);
    expect(Buffer.from(dev?.spec.policy.rootOfTrust.publicKey?.keyData as string, 'base64').toString()).toBe(DEV);
    expect(dev?.spec.policy.rootOfTrust.publicKey?.rekorKeyData).toEqual(expect.any(String));
    expect(ci?.spec.policy.rootOfTrust).toMatchObject({ policyType: 'FulcioCAWithRekor', fulcioCAWithRekor: { fulcioSubject: { oidcIssuer: 'https://issuer.example.com', signedEmail: 'ci@example.com' } } });
    expect(warnings).toEqual([expect.stringContaining('--sign-recursive')]);
  });

  it('refuses any-of-several, regexp identities, wildcards, and a required log without a trusted root', () => {
    expect(() => exported('openshift', '  - name: any\n    images: ["r/a"]\n    require: { anyOf: [dev, qa] }\n', true)).toThrow(/rule "any" cannot be exported to openshift: any of \[dev, qa\]/);
    expect(() => exported('openshift', '  - name: re\n    images: ["r/a"]\n    require: { all: [reviewers] }\n', true)).toThrow(/regular expression/);
    expect(() => exported('openshift', '  - name: star\n    images: ["r/*"]\n    require: { all: [dev] }\n', true)).toThrow(/wildcards/);
    expect(() => exported('openshift', '  - name: nolog\n    images: ["r/a"]\n    require: { all: [dev] }\n')).toThrow(/Rekor key inline/);
  });
});
