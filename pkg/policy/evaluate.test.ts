import { describe, expect, it } from 'vitest';
import type { CheckedSignature, LogEntry } from '../verify/types.ts';
import { evaluate, matchingRules, signersOf, wantsPlatforms } from './evaluate.ts';
import { parsePolicy } from './load.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main';
const SIGNERS = `apiVersion: kubectl-build.dev/v1alpha1
kind: SignerPolicy
signers:
  - name: dev
    key: dev.pub
  - name: dev-again
    key: dev-copy.pub
  - name: qa
    key: qa.pub
  - name: ci
    keyless: { identity: '${WORKFLOW}', issuer: '${GITHUB}' }
  - name: reviewers
    keyless: { identityRegExp: 'alice@example\\.com|bob@example\\.com', issuer: https://accounts.example.com }
  - name: alice
    keyless: { identityRegExp: alice@example.com, issuerRegExp: https://accounts\\.example\\.com }
rules:
`;
// dev and dev-again name the same key: listing a key twice must not make two signers.
const FINGERPRINTS = new Map([
  ['dev', 'aa11'],
  ['dev-again', 'aa11'],
  ['qa', 'bb22'],
]);
const APP = { name: 'registry.example.com/app/api', tag: 'v1' };
const LOG: LogEntry = { index: 7, integratedTime: new Date(0), logId: 'c0ffee' };

function policyWith(rules: string) {
  return parsePolicy(SIGNERS + rules, 'policy.yaml');
}

function byKey(fingerprint: string, extra: Partial<CheckedSignature> = {}): CheckedSignature {
  return { found: { format: 'bundle', location: 'r/app@sha256:1' }, valid: true, signer: { kind: 'key', fingerprint, keyName: 'k' }, log: LOG, annotations: {}, ...extra };
}

function byCertificate(identity: string, issuer: string, extra: Partial<CheckedSignature> = {}): CheckedSignature {
  return { found: { format: 'legacy', location: 'r/app:sha256-1.sig (layer 1)' }, valid: true, signer: { kind: 'keyless', identity, issuer }, log: LOG, annotations: {}, ...extra };
}

const dev = byKey('aa11');
const qa = byKey('bb22');
const ci = byCertificate(WORKFLOW, GITHUB);
const alice = byCertificate('alice@example.com', 'https://accounts.example.com');
const bob = byCertificate('bob@example.com', 'https://accounts.example.com');

describe('evaluate: counting signers', () => {
  const rule = (require: string) => policyWith(`  - images: ['registry.example.com/**']\n    require: ${require}\n`);

  it('passes all of [dev, ci] with both, and names what is missing without one', () => {
    const policy = rule('{ all: [dev, ci] }');
    expect(evaluate(policy, APP, [dev, ci], FINGERPRINTS)).toEqual({ outcome: 'pass', rules: ['registry.example.com/**'], signersMet: ['dev', 'ci'], missing: [] });
    expect(evaluate(policy, APP, [dev], FINGERPRINTS)).toMatchObject({ outcome: 'fail', signersMet: ['dev'], missing: ['all of [dev, ci]: ci has no valid signature'] });
  });

  it('does not count one key listed under two names twice', () => {
    const policy = rule('{ threshold: { count: 2, of: [dev, dev-again] } }');
    // Even when that key signed twice (a legacy .sig and a bundle): one key is one signer.
    const twice = [dev, byKey('aa11', { found: { format: 'legacy', location: 'r/app:sha256-1.sig (layer 1)' } })];
    const verdict = evaluate(policy, APP, twice, FINGERPRINTS);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.missing).toEqual(['2 of [dev, dev-again]: 1 found', 'dev-again has no signature of its own (the one found counts for dev)']);
    expect(evaluate(rule('{ all: [dev, dev-again] }'), APP, [dev], FINGERPRINTS).missing).toEqual([
      'all of [dev, dev-again]: dev-again has no signature of its own (the one found counts for dev)',
    ]);
  });

  it('counts two signatures by one signer once', () => {
    const verdict = evaluate(rule('{ threshold: { count: 2, of: [dev, qa, ci] } }'), APP, [dev, byKey('AA11')], FINGERPRINTS);
    expect(verdict).toMatchObject({ outcome: 'fail', missing: ['2 of [dev, qa, ci]: 1 found'] });
    expect(evaluate(rule('{ threshold: { count: 2, of: [dev, qa, ci] } }'), APP, [dev, ci], FINGERPRINTS).outcome).toBe('pass');
  });

  it('counts a regexp signer once, however many people it matches', () => {
    const verdict = evaluate(rule('{ threshold: { count: 2, of: [reviewers, ci] } }'), APP, [alice, bob], FINGERPRINTS);
    expect(verdict.missing).toEqual(['2 of [reviewers, ci]: 1 found']);
  });

  it('lets one identity satisfy one of two overlapping signers only, choosing the assignment that works', () => {
    // alice matches both reviewers and alice; bob only reviewers: alice must go to alice, bob to reviewers.
    expect(evaluate(rule('{ all: [reviewers, alice] }'), APP, [alice, bob], FINGERPRINTS).outcome).toBe('pass');
    expect(evaluate(rule('{ all: [reviewers, alice] }'), APP, [alice], FINGERPRINTS).outcome).toBe('fail');
  });

  it('needs one for anyOf, and every clause when several are given', () => {
    const policy = rule('{ all: [dev], anyOf: [qa, ci], threshold: { count: 2, of: [dev, qa, reviewers] } }');
    expect(evaluate(policy, APP, [dev, ci, alice], FINGERPRINTS).outcome).toBe('pass');
    expect(evaluate(policy, APP, [dev, alice], FINGERPRINTS).missing).toEqual(['any of [qa, ci]: none found']);
    expect(evaluate(policy, APP, [dev, ci], FINGERPRINTS).missing).toEqual(['2 of [dev, qa, reviewers]: 1 found']);
    expect(evaluate(policy, APP, [], FINGERPRINTS).missing).toEqual(['all of [dev]: dev has no valid signature', 'any of [qa, ci]: none found', '2 of [dev, qa, reviewers]: none found']);
  });

  it('ignores signatures that are not valid, and keys whose fingerprint is not known', () => {
    const forged = byKey('aa11', { valid: false, problem: 'payload names sha256:… not this image' });
    expect(evaluate(rule('{ all: [dev] }'), APP, [forged], FINGERPRINTS).missing).toEqual(['all of [dev]: dev has no valid signature']);
    expect(evaluate(rule('{ all: [dev] }'), APP, [dev], new Map()).outcome).toBe('fail');
  });
});

describe('evaluate: anchored identity regexps', () => {
  const policy = policyWith(`  - images: ['**']\n    require: { anyOf: [alice] }\n`);

  it('does not let a longer identity that contains the pattern pass', () => {
    const attacker = byCertificate('malice@example.com.evil', 'https://accounts.example.com');
    expect(signersOf(policy, attacker, FINGERPRINTS)).toEqual([]);
    expect(evaluate(policy, APP, [attacker], FINGERPRINTS).outcome).toBe('fail');
    expect(signersOf(policy, byCertificate('alice@example.com', 'https://accounts.example.com.evil'), FINGERPRINTS)).toEqual([]);
  });

  it('lets the exact identity pass', () => {
    expect(signersOf(policy, alice, FINGERPRINTS)).toEqual(['reviewers', 'alice']);
    expect(evaluate(policy, APP, [alice], FINGERPRINTS).outcome).toBe('pass');
  });
});

describe('evaluate: what a rule demands of each signature', () => {
  it('needs a verified log entry unless transparencyLog is optional', () => {
    const unlogged = byKey('aa11', { log: undefined });
    const required = policyWith(`  - images: ['**']\n    require: { all: [dev] }\n`);
    expect(evaluate(required, APP, [unlogged], FINGERPRINTS)).toMatchObject({ outcome: 'fail', signersMet: [], missing: ["all of [dev]: dev's signature has no transparency log entry"] });
    const optional = policyWith(`  - images: ['**']\n    transparencyLog: optional\n    require: { all: [dev] }\n`);
    expect(evaluate(optional, APP, [unlogged], FINGERPRINTS).outcome).toBe('pass');
  });

  it('needs every required annotation with its exact value', () => {
    const policy = policyWith(`  - images: ['**']\n    annotations: { env: prod }\n    require: { threshold: { count: 1, of: [dev, qa] } }\n`);
    expect(evaluate(policy, APP, [byKey('aa11', { annotations: { env: 'prod', extra: 'x' } })], FINGERPRINTS).outcome).toBe('pass');
    expect(evaluate(policy, APP, [dev, byKey('bb22', { annotations: { env: 'staging' } })], FINGERPRINTS).missing).toEqual([
      '1 of [dev, qa]: none found',
      "annotation env=prod missing on dev's signature",
      "annotation env=prod missing on qa's signature (it has env=staging)",
    ]);
  });

  it('still says which signers signed, whatever the rule demands, for the table', () => {
    const policy = policyWith(`  - images: ['**']\n    annotations: { env: prod }\n    require: { all: [dev] }\n`);
    expect(signersOf(policy, dev, FINGERPRINTS)).toEqual(['dev', 'dev-again']);
    expect(signersOf(policy, byKey('aa11', { valid: false }), FINGERPRINTS)).toEqual([]);
  });
});

describe('evaluate: which rules apply', () => {
  const policy = policyWith(`  - name: all-images
    images: ['registry.example.com/**']
    require: { all: [dev] }
  - name: api
    images: ['registry.example.com/app/api']
    require: { all: [ci] }
  - name: released
    images: ['registry.example.com/app/*:v*']
    platforms: true
    require: { all: [qa] }
`);

  it('fails an image no rule matches, saying so', () => {
    expect(evaluate(policy, { name: 'index.docker.io/library/busybox', tag: 'latest' }, [dev, ci, qa], FINGERPRINTS)).toEqual({
      outcome: 'fail',
      rules: [],
      signersMet: [],
      missing: ['no rule of the policy matches index.docker.io/library/busybox:latest'],
    });
  });

  it('needs every matching rule to hold, and says which rule lacks what', () => {
    expect(matchingRules(policy, APP).map((rule) => rule.label)).toEqual(['all-images', 'api', 'released']);
    expect(evaluate(policy, APP, [dev, ci, qa], FINGERPRINTS).outcome).toBe('pass');
    expect(evaluate(policy, APP, [dev, qa], FINGERPRINTS)).toEqual({
      outcome: 'fail',
      rules: ['all-images', 'api', 'released'],
      signersMet: ['dev', 'qa'],
      missing: ['api: all of [ci]: ci has no valid signature'],
    });
  });

  it('matches the tag part only when the image was named by tag', () => {
    const byDigest = { name: APP.name };
    expect(matchingRules(policy, byDigest).map((rule) => rule.label)).toEqual(['all-images', 'api']);
    expect(matchingRules(policy, { name: APP.name, tag: 'latest' }).map((rule) => rule.label)).toEqual(['all-images', 'api']);
  });

  it('holds platform images to the rules that ask for it only', () => {
    expect(wantsPlatforms(matchingRules(policy, APP))).toBe(true);
    expect(wantsPlatforms(matchingRules(policy, { name: APP.name }))).toBe(false);
    expect(evaluate(policy, APP, [qa], FINGERPRINTS, { platform: true })).toEqual({ outcome: 'pass', rules: ['released'], signersMet: ['qa'], missing: [] });
    expect(evaluate(policy, APP, [dev, ci], FINGERPRINTS, { platform: true }).missing).toEqual(['all of [qa]: qa has no valid signature']);
  });
});
