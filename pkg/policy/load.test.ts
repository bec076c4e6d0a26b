import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../errors/index.ts';
import { loadPolicy, parsePolicy } from './load.ts';

// Line numbers in the expectations below count from this text's first line.
const BASE = `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
metadata: { name: release }
trustedRoot: ./trusted_root.json
signers:
  - name: dev
    key: ./keys/dev.pub
  - name: ci
    keyless:
      identity: https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main
      issuer: https://token.actions.githubusercontent.com
  - name: reviewers
    keyless: { identityRegExp: '.*@example\\.com', issuer: https://accounts.example.com }
rules:
  - name: production
    images: ["registry.example.com/app/**", "registry.example.com/base:*"]
    require:
      all: [dev, ci]
      threshold: { count: 2, of: [dev, ci, reviewers] }
    annotations: { env: prod }
`;

function failure(text: string, source = 'release.yaml'): KubectlBuildError {
  try {
    parsePolicy(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(KubectlBuildError);
    return error as KubectlBuildError;
  }
  throw new Error('the policy was accepted');
}

describe('parsePolicy', () => {
  it('reads a policy, with relative paths made relative to the file and the defaults filled in', () => {
    const policy = parsePolicy(BASE, 'policies/release.yaml');
    expect(policy.name).toBe('release');
    expect(policy.trustedRoot).toBe('policies/trusted_root.json');
    expect(policy.signers).toEqual([
      { kind: 'key', name: 'dev', key: 'policies/keys/dev.pub' },
      {
        kind: 'keyless',
        name: 'ci',
        identity: { kind: 'exact', value: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main' },
        issuer: { kind: 'exact', value: 'https://token.actions.githubusercontent.com' },
      },
      { kind: 'keyless', name: 'reviewers', identity: { kind: 'regexp', value: '.*@example\\.com' }, issuer: { kind: 'exact', value: 'https://accounts.example.com' } },
    ]);
    expect(policy.rules[0]).toMatchObject({ name: 'production', label: 'production', transparencyLog: 'required', platforms: false, annotations: { env: 'prod' } });
  });

  it('keeps env://, k8s://, KMS URIs, absolute paths and inline PEM keys as written, and reads file:// as a path', () => {
    const keys = ['env://DEV_KEY', 'k8s://ns/dev', 'awskms:///alias/dev', 'gcpkms://projects/p/k', 'hashivault://dev', '/etc/keys/dev.pub', 'file://dev.pub'];
    const signers = keys.map((key, index) => `  - name: s${index}\n    key: ${key}\n`).join('');
    const pem = '  - name: inline\n    key: |\n      -----BEGIN PUBLIC KEY-----\n      MFkw\n      -----END PUBLIC KEY-----\n';
    const text = `apiVersion: kubectl-build.dev/v1alpha1\nkind: SignerPolicy\nsigners:\n${signers}${pem}rules:\n  - images: ['**']\n    require: { anyOf: [s0] }\n`;
    const policy = parsePolicy(text, 'conf/p.yaml');
    expect(policy.signers.map((signer) => (signer.kind === 'key' ? signer.key : ''))).toEqual([
      ...keys.slice(0, 6),
      'conf/dev.pub',
      '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
    ]);
    expect(policy.rules[0]?.label).toBe('**');
  });

  // Each bad file: one USAGE error naming file, line and field, and a hint on what to write.
  const cases: Array<[string, string, string]> = [
    ['a YAML syntax error', BASE.replace('  - name: ci', ' - name: ci'), 'release.yaml:8: invalid YAML: A block sequence may not be used as an implicit map key'],
    ['a field given twice', BASE.replace('    key: ./keys/dev.pub', '    key: ./keys/dev.pub\n    key: ./x.pub'), 'release.yaml:8: this field is given twice'],
    ['two YAML documents', `${BASE}---\n${BASE}`, 'release.yaml:21: a policy file holds one YAML document, this one holds several (---)'],
    ['an empty file', '', 'release.yaml:1: the policy file is empty'],
    ['another apiVersion', BASE.replace('kubectl-build.dev/v1alpha1', 'policy.sigstore.dev/v1beta1'), 'release.yaml:1: apiVersion: "policy.sigstore.dev/v1beta1" is not supported; the supported apiVersion is kubectl-build.dev/v1alpha1'],
    ['another kind', BASE.replace('kind: SignerPolicy', 'kind: ClusterImagePolicy'), 'release.yaml:2: kind: "ClusterImagePolicy" is not supported; the supported kind is SignerPolicy'],
    ['an unknown field', BASE.replace('    images:', '    image:'), 'release.yaml:16: rules[0].image: unknown field "image"'],
    ['a wrong type', BASE.replace('count: 2', 'count: "2"'), 'release.yaml:19: rules[0].require.threshold.count: expected a whole number, found the string "2"'],
    ['a number as annotation value', BASE.replace('env: prod', 'env: 1'), 'release.yaml:20: rules[0].annotations.env: expected a string, found the number 1'],
    ['a missing field', BASE.replace(/ {4}require:\n.*\n.*\n/, ''), 'release.yaml:15: rules[0]: the field require is missing'],
    ['duplicate signer names', BASE.replace('- name: reviewers', '- name: dev'), 'release.yaml:12: signers[2].name: "dev" is already the name of signers[0]'],
    ['an unknown signer', BASE.replace('all: [dev, ci]', 'all: [dev, qa]'), 'release.yaml:18: rules[0].require.all[1]: "qa" is not a signer of this policy'],
    ['a threshold above its list', BASE.replace('count: 2', 'count: 4'), 'release.yaml:19: rules[0].require.threshold.count: 4 is more than the 3 signer(s) listed in of'],
    ['a threshold of 0', BASE.replace('count: 2', 'count: 0'), 'release.yaml:19: rules[0].require.threshold.count: 0 is too small: the least is 1'],
    ['identity and identityRegExp both', BASE.replace('      issuer: https://token', '      identityRegExp: ".*"\n      issuer: https://token'), 'release.yaml:9: signers[1].keyless: a keyless signer needs exactly one of identity or identityRegExp'],
    ['no issuer', BASE.replace(/ {6}issuer: https:\/\/token.*\n/, ''), 'release.yaml:9: signers[1].keyless: a keyless signer needs exactly one of issuer or issuerRegExp'],
    ['an invalid regexp', BASE.replace("'.*@example\\.com'", "'[a-z+@example.com'"), 'release.yaml:13: signers[2].keyless.identityRegExp: "[a-z+@example.com" is not a valid regular expression: Unterminated character class'],
    ['a lookahead (not RE2)', BASE.replace("'.*@example\\.com'", "'(?!root).*@example.com'"), 'release.yaml:13: signers[2].keyless.identityRegExp: lookarounds and backreferences are not supported (the policy engines it exports to use Go regular expressions)'],
    ['an empty images list', BASE.replace(/images: \[.*\]/, 'images: []'), 'release.yaml:16: rules[0].images: the list is empty; a rule needs at least one image pattern'],
    ['a digest in a pattern', BASE.replace('registry.example.com/base:*', 'registry.example.com/base@sha256:abc'), 'release.yaml:16: rules[0].images[1]: "registry.example.com/base@sha256:abc" is not valid: an image pattern holds letters, digits, \'.\', \'_\', \'-\', \'/\', \':\' and the wildcards *, ** and ?'],
    ['a signer with neither key nor keyless', BASE.replace('    key: ./keys/dev.pub\n', ''), 'release.yaml:6: signers[0]: a signer needs exactly one of key or keyless'],
    ['a signer with both key and keyless', BASE.replace('    key: ./keys/dev.pub', '    key: ./keys/dev.pub\n    keyless: { identity: a, issuer: b }'), 'release.yaml:6: signers[0]: a signer needs exactly one of key or keyless'],
    ['an empty require', BASE.replace(/ {4}require:\n.*\n.*\n/, '    require: {}\n'), 'release.yaml:17: rules[0].require: require needs at least one of all, anyOf or threshold'],
    ['a signer listed twice in a clause', BASE.replace('all: [dev, ci]', 'all: [dev, ci, dev]'), 'release.yaml:18: rules[0].require.all[2]: "dev" is listed twice'],
    ['a private key', BASE.replace('./keys/dev.pub', '"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"'), 'release.yaml:7: signers[0].key: this is a private key; a policy holds public keys only'],
    ['an unknown key scheme', BASE.replace('./keys/dev.pub', 'vault://dev'), 'release.yaml:7: signers[0].key: unknown key scheme "vault://"'],
    ['a bad transparencyLog', BASE.replace('    annotations:', '    transparencyLog: sometimes\n    annotations:'), 'release.yaml:20: rules[0].transparencyLog: "sometimes" is not one of required, optional'],
    ['an upper-case name', BASE.replace('name: dev\n', 'name: Dev\n'), 'release.yaml:6: signers[0].name: "Dev" is not valid: a name is lowercase letters, digits and \'-\', starting and ending with a letter or digit'],
    ['duplicate rule names', BASE.replace('rules:\n', 'rules:\n  - name: production\n    images: [x]\n    require: { anyOf: [dev] }\n'), 'release.yaml:18: rules[1].name: "production" is already the name of rules[0]'],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what} with file:line: field`, () => {
      const error = failure(text);
      expect(error.code).toBe('USAGE');
      expect(error.message).toBe(message);
      expect(error.hint).toBeTruthy();
    });
  }

  it('says what to write for a misspelt field', () => {
    expect(failure(BASE.replace('    images:', '    imagess:')).hint).toMatch(/^did you mean images\? the fields here are name, images, require/);
  });

  it('explains an unknown signer with the names the policy has', () => {
    expect(failure(BASE.replace('all: [dev, ci]', 'all: [dev, qa]')).hint).toBe('the signers are dev, ci, reviewers: add "qa" under signers, or correct the name');
  });

  it('names the apiVersion before anything else in a file of another format', () => {
    const clusterImagePolicy = 'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nspec:\n  images: [{ glob: "**" }]\n';
    expect(failure(clusterImagePolicy, 'cip.yaml').message).toBe('cip.yaml:1: apiVersion: "policy.sigstore.dev/v1beta1" is not supported; the supported apiVersion is kubectl-build.dev/v1alpha1');
  });
});

describe('loadPolicy', () => {
  it('reads the file and names it in errors', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'policy-'));
    const file = join(folder, 'p.yaml');
    await writeFile(file, BASE.replace('all: [dev, ci]', 'all: [dev, qa]'));
    await expect(loadPolicy(file)).rejects.toThrow(`${file}:18: rules[0].require.all[1]: "qa" is not a signer of this policy`);
    await writeFile(file, BASE);
    expect((await loadPolicy(file)).signers[0]).toEqual({ kind: 'key', name: 'dev', key: join(folder, 'keys/dev.pub') });
  });

  it('gives NOT_FOUND for a file that is not there', async () => {
    await expect(loadPolicy('/nonexistent/policy.yaml')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'cannot read the policy file /nonexistent/policy.yaml' });
  });
});

describe('the examples and the documentation', () => {
  const root = new URL('../../', import.meta.url);

  it('every policy under examples/policy/ loads', async () => {
    const folder = new URL('examples/policy/', root);
    const files = (await readdir(folder)).filter((name) => name.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(1);
    for (const name of files) await loadPolicy(new URL(name, folder).pathname);
  });

  it('every complete policy in docs/policy.md parses', async () => {
    const text = await readFile(new URL('docs/policy.md', root), 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] as string).filter((block) => block.includes('kind: SignerPolicy'));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) parsePolicy(block, 'docs/policy.md');
  });
});
