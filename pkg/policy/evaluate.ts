// The verdict on one image digest: which rules apply (every one whose pattern matches, all must
// hold, as in policy-controller), and for each clause of each rule, how many DISTINCT signers the
// valid signatures make. Distinct means distinct signing identities (a key's fingerprint, a
// certificate's identity and issuer): one key listed under two names, or one person signing twice,
// is one signer, however many signatures it made.
import type { CheckedSignature, SignerIdentity, Verdict } from '../verify/types.ts';
import { maximumMatching } from './matching.ts';
import { globMatches, imageText, textMatches } from './patterns.ts';
import type { ImageName, Policy, PolicySigner, Rule } from './types.ts';

export interface EvaluateOptions {
  /** The image is one platform image of an index: only the matching rules with `platforms: true` apply. */
  readonly platform?: boolean;
}

/** The rules whose image patterns match the image. */
export function matchingRules(policy: Policy, image: ImageName): Rule[] {
  return policy.rules.filter((rule) => rule.images.some((glob) => globMatches(glob, image)));
}

/** Must the platform images of an index be verified too, under these (matched) rules. */
export function wantsPlatforms(rules: readonly Rule[]): boolean {
  return rules.some((rule) => rule.platforms);
}

/** The policy signers a valid signature comes from, whatever any rule demands of it. */
export function signersOf(policy: Policy, signature: CheckedSignature, keyFingerprints: ReadonlyMap<string, string>): string[] {
  const identity = signature.valid ? signature.signer : undefined;
  if (!identity) return [];
  return policy.signers.filter((signer) => identifies(signer, identity, keyFingerprints)).map((signer) => signer.name);
}

/** Does the policy hold for the image with these checked signatures. Never 'undecided': that is the caller's call. */
export function evaluate(
  policy: Policy,
  image: ImageName,
  signatures: readonly CheckedSignature[],
  keyFingerprints: ReadonlyMap<string, string>,
  options: EvaluateOptions = {},
): Verdict {
  const matched = matchingRules(policy, image);
  if (matched.length === 0) return { outcome: 'fail', rules: [], signersMet: [], missing: [`no rule of the policy matches ${imageText(image)}`] };
  const rules = options.platform ? matched.filter((rule) => rule.platforms) : matched;
  const missing = new Set<string>();
  const met = new Set<string>();
  for (const rule of rules) {
    const evidence = evidenceFor(policy, rule, signatures, keyFingerprints);
    for (const [name, found] of evidence) if (found.identities.size > 0) met.add(name);
    // With several rules, say which one a phrase is about.
    const prefix = rules.length > 1 ? `${rule.label}: ` : '';
    for (const clause of clausesOf(rule)) for (const phrase of unmet(clause, evidence)) missing.add(prefix + phrase);
  }
  return {
    outcome: missing.size === 0 ? 'pass' : 'fail',
    rules: rules.map((rule) => rule.label),
    signersMet: policy.signers.map((signer) => signer.name).filter((name) => met.has(name)),
    missing: [...missing],
  };
}

function identifies(signer: PolicySigner, identity: SignerIdentity, keyFingerprints: ReadonlyMap<string, string>): boolean {
  if (signer.kind === 'key') {
    const fingerprint = keyFingerprints.get(signer.name);
    return identity.kind === 'key' && fingerprint !== undefined && fingerprint.toLowerCase() === identity.fingerprint.toLowerCase();
  }
  return identity.kind === 'keyless' && textMatches(signer.identity, identity.identity) && textMatches(signer.issuer, identity.issuer);
}

/** One signing identity, whichever signer names it satisfies: what a clause counts. */
function identityKey(identity: SignerIdentity): string {
  return identity.kind === 'key' ? `key ${identity.fingerprint.toLowerCase()}` : `keyless ${identity.issuer} ${identity.identity}`;
}

/** What one signer name has under one rule: identities whose signatures count, and why others did not. */
interface Evidence {
  readonly identities: Set<string>;
  readonly unmet: string[];
}

function evidenceFor(policy: Policy, rule: Rule, signatures: readonly CheckedSignature[], keyFingerprints: ReadonlyMap<string, string>): Map<string, Evidence> {
  const named = new Set(clausesOf(rule).flatMap((clause) => clause.names));
  const evidence = new Map<string, Evidence>();
  for (const signer of policy.signers.filter((candidate) => named.has(candidate.name))) {
    const found: Evidence = { identities: new Set(), unmet: [] };
    for (const signature of signatures) {
      if (!signature.valid || !signature.signer || !identifies(signer, signature.signer, keyFingerprints)) continue;
      const unmetDemands = demandsUnmet(rule, signature, signer.name);
      if (unmetDemands.length === 0) found.identities.add(identityKey(signature.signer));
      else found.unmet.push(...unmetDemands.filter((phrase) => !found.unmet.includes(phrase)));
    }
    evidence.set(signer.name, found);
  }
  return evidence;
}

/** The rule's demands on a signature beyond who made it, each unmet one as a phrase. */
function demandsUnmet(rule: Rule, signature: CheckedSignature, who: string): string[] {
  const unmet: string[] = [];
  if (rule.transparencyLog === 'required' && !signature.log) unmet.push(`${who}'s signature has no transparency log entry`);
  for (const [key, value] of Object.entries(rule.annotations)) {
    const present = signature.annotations[key];
    if (present !== value) unmet.push(`annotation ${key}=${value} missing on ${who}'s signature${present === undefined ? '' : ` (it has ${key}=${present})`}`);
  }
  return unmet;
}

interface Clause {
  readonly kind: 'all' | 'anyOf' | 'threshold';
  readonly label: string;
  readonly names: readonly string[];
  readonly needed: number;
}

function clausesOf(rule: Rule): Clause[] {
  const { all, anyOf, threshold } = rule.require;
  const clauses: Clause[] = [];
  if (all) clauses.push({ kind: 'all', label: `all of [${all.join(', ')}]`, names: all, needed: all.length });
  if (anyOf) clauses.push({ kind: 'anyOf', label: `any of [${anyOf.join(', ')}]`, names: anyOf, needed: 1 });
  if (threshold) clauses.push({ kind: 'threshold', label: `${threshold.count} of [${threshold.of.join(', ')}]`, names: threshold.of, needed: threshold.count });
  return clauses;
}

/** What the clause lacks, one phrase each; empty when it holds. */
function unmet(clause: Clause, evidence: ReadonlyMap<string, Evidence>): string[] {
  const candidates = clause.names.map((name) => [...(evidence.get(name)?.identities ?? [])]);
  const assigned = maximumMatching(candidates);
  const found = assigned.filter((identity) => identity !== undefined).length;
  if (found >= clause.needed) return [];
  const unmatched = clause.names.filter((_, index) => assigned[index] === undefined);
  const why = (name: string): string | undefined => {
    const { identities, unmet: demands } = evidence.get(name) ?? { identities: new Set<string>(), unmet: [] };
    if (identities.size > 0) {
      const other = clause.names.find((_, index) => identities.has(assigned[index] as string));
      return `${name} has no signature of its own (the one found counts for ${other})`;
    }
    return demands.length > 0 ? demands.join('; ') : undefined;
  };
  if (clause.kind === 'all') return unmatched.map((name) => `${clause.label}: ${why(name) ?? `${name} has no valid signature`}`);
  const reasons = unmatched.map(why).filter((reason): reason is string => reason !== undefined);
  return [`${clause.label}: ${found === 0 ? 'none found' : `${found} found`}`, ...reasons];
}
