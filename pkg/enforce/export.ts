// Compiling a signer policy into the objects of the admission engines people already run:
// sigstore's policy-controller, Kyverno, and OpenShift's ClusterImagePolicy. Each target expresses
// less than the policy can say; what a target cannot express is refused, naming the rule and why,
// never exported as something weaker. What it expresses only more strictly (a glob that catches
// more images) is exported with a warning.
import { KubectlBuildError } from '../errors/index.ts';
import type { Policy, Rule } from '../policy/index.ts';
import type { TrustMaterial } from './trust-material.ts';

export type ExportTarget = 'policy-controller' | 'kyverno' | 'openshift';
export const EXPORT_TARGETS: readonly ExportTarget[] = ['policy-controller', 'kyverno', 'openshift'];

export interface ExportInput {
  readonly policy: Policy;
  /** Signer name -> public key PEM, for the key signers (the keys are inlined). */
  readonly keys: ReadonlyMap<string, string>;
  /** The policy's trusted root, when it has one: CAs, Rekor and CT log keys to inline. */
  readonly trust?: TrustMaterial;
  /** The prefix of every object's name (a DNS label). */
  readonly name: string;
}

export interface ExportResult {
  readonly objects: readonly Record<string, unknown>[];
  /** Where the target is stricter than the policy: shown to the user, the objects are still right. */
  readonly warnings: readonly string[];
}

/** A requirement clause as "count of these signers": all = every one, anyOf = 1, threshold = N. */
export interface Clause {
  readonly count: number;
  readonly of: readonly string[];
  /** How the policy wrote it, for messages. */
  readonly label: string;
}

export function clausesOf(rule: Rule): Clause[] {
  const { all, anyOf, threshold } = rule.require;
  return [
    ...(all ? [{ count: all.length, of: all, label: `all of [${all.join(', ')}]` }] : []),
    ...(anyOf ? [{ count: 1, of: anyOf, label: `any of [${anyOf.join(', ')}]` }] : []),
    ...(threshold ? [{ count: threshold.count, of: threshold.of, label: `${threshold.count} of [${threshold.of.join(', ')}]` }] : []),
  ];
}

export function cannotExport(target: ExportTarget, rule: Rule, why: string, hint?: string): KubectlBuildError {
  return new KubectlBuildError('USAGE', `rule "${rule.label}" cannot be exported to ${target}: ${why}`, {
    hint: hint ?? `change the rule, or verify it with kubectl trust verify where ${target} cannot enforce it`,
  });
}

/** A DNS-1123 name from parts, at most 63 characters (a hash keeps long ones unique). */
export function objectName(...parts: string[]): string {
  const joined = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (joined.length <= 63) return joined || 'policy';
  let hash = 0;
  for (const char of joined) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `${joined.slice(0, 54).replace(/-$/, '')}-${hash.toString(16).padStart(8, '0')}`;
}

/** A rule's own name for object names: its name, else its position. */
export function ruleName(policy: Policy, rule: Rule): string {
  return rule.name ?? `rule-${policy.rules.indexOf(rule) + 1}`;
}

/** The anchored form of a policy regexp, for engines that match unanchored (Go's MatchString). */
export function anchored(source: string): string {
  return `^(?:${source})$`;
}

export function signerNamed(policy: Policy, name: string) {
  const signer = policy.signers.find((candidate) => candidate.name === name);
  if (!signer) throw new KubectlBuildError('INTERNAL', `the policy names an unknown signer "${name}"`);
  return signer;
}

export function keyOf(input: ExportInput, name: string): string {
  const pem = input.keys.get(name);
  if (!pem) throw new KubectlBuildError('INTERNAL', `no public key was loaded for the signer "${name}"`);
  return pem;
}

/** The kinds each target writes, for checking that its engine is installed before applying. */
export const TARGET_APIS: Readonly<Record<ExportTarget, ReadonlyArray<{ apiVersion: string; kind: string; crd: string }>>> = {
  'policy-controller': [
    { apiVersion: 'policy.sigstore.dev/v1beta1', kind: 'ClusterImagePolicy', crd: 'clusterimagepolicies.policy.sigstore.dev' },
    { apiVersion: 'policy.sigstore.dev/v1alpha1', kind: 'TrustRoot', crd: 'trustroots.policy.sigstore.dev' },
  ],
  kyverno: [{ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', crd: 'clusterpolicies.kyverno.io' }],
  openshift: [{ apiVersion: 'config.openshift.io/v1', kind: 'ClusterImagePolicy', crd: 'clusterimagepolicies.config.openshift.io' }],
};

export const TARGET_ENGINES: Readonly<Record<ExportTarget, { engine: string; install: string }>> = {
  'policy-controller': { engine: "sigstore's policy-controller", install: 'install policy-controller (namespace cosign-system; hack/local-stack up --policy-controller does it locally)' },
  kyverno: { engine: 'Kyverno', install: 'install Kyverno' },
  openshift: { engine: "OpenShift's image policy API", install: 'use an OpenShift 4.20+ cluster (ClusterImagePolicy in config.openshift.io/v1)' },
};
