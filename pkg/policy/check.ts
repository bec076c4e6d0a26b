// What a JSON Schema cannot say about a policy: names that must be unique, rules that name signers
// that exist, a threshold no larger than its list, regexps that compile (and would in Go), key
// references we know how to load. Runs after the schema, so the shapes below hold.
import { KEY_REFERENCE_HINT, keyReferenceProblem } from './keyref.ts';
import { regExpProblem } from './patterns.ts';
import { policyError, type FieldPath, type PolicySource } from './position.ts';

/** A policy file's data once it fits policy.schema.json. */
export interface RawPolicy {
  readonly metadata?: { readonly name?: string };
  readonly trustedRoot?: string;
  readonly signers: ReadonlyArray<{
    readonly name: string;
    readonly key?: string;
    readonly keyless?: { readonly identity?: string; readonly identityRegExp?: string; readonly issuer?: string; readonly issuerRegExp?: string };
  }>;
  readonly rules: ReadonlyArray<{
    readonly name?: string;
    readonly images: readonly string[];
    readonly require: { readonly all?: readonly string[]; readonly anyOf?: readonly string[]; readonly threshold?: { readonly count: number; readonly of: readonly string[] } };
    readonly transparencyLog?: 'required' | 'optional';
    readonly annotations?: Readonly<Record<string, string>>;
    readonly platforms?: boolean;
  }>;
}

/** Throws the first cross-reference problem, in file order of the sections. */
export function checkPolicy(source: PolicySource, policy: RawPolicy): void {
  const fail = (path: FieldPath, message: string, hint: string) => {
    throw policyError(source, path, message, hint);
  };
  const signerNames = new Map<string, number>();
  policy.signers.forEach((signer, index) => {
    const at: FieldPath = ['signers', index];
    const earlier = signerNames.get(signer.name);
    if (earlier !== undefined) fail([...at, 'name'], `"${signer.name}" is already the name of signers[${earlier}]`, 'give each signer its own name');
    signerNames.set(signer.name, index);
    if (signer.key !== undefined) {
      const problem = keyReferenceProblem(signer.key);
      if (problem) fail([...at, 'key'], problem, KEY_REFERENCE_HINT);
    }
    for (const field of ['identityRegExp', 'issuerRegExp'] as const) {
      const text = signer.keyless?.[field];
      const problem = text === undefined ? undefined : regExpProblem(text);
      if (problem) fail([...at, 'keyless', field], problem, 'write a Go (RE2) regular expression; it must match the whole value, so no ^ or $ is needed');
    }
  });
  const known = [...signerNames.keys()];
  const ruleNames = new Map<string, number>();
  policy.rules.forEach((rule, index) => {
    const at: FieldPath = ['rules', index];
    if (rule.name !== undefined) {
      const earlier = ruleNames.get(rule.name);
      if (earlier !== undefined) fail([...at, 'name'], `"${rule.name}" is already the name of rules[${earlier}]`, 'give each rule its own name');
      ruleNames.set(rule.name, index);
    }
    const lists: Array<[FieldPath, readonly string[] | undefined]> = [
      [[...at, 'require', 'all'], rule.require.all],
      [[...at, 'require', 'anyOf'], rule.require.anyOf],
      [[...at, 'require', 'threshold', 'of'], rule.require.threshold?.of],
    ];
    for (const [path, names] of lists) {
      names?.forEach((name, item) => {
        if (!signerNames.has(name)) fail([...path, item], `"${name}" is not a signer of this policy`, `the signers are ${known.join(', ')}: add "${name}" under signers, or correct the name`);
      });
    }
    const threshold = rule.require.threshold;
    if (threshold && threshold.count > threshold.of.length) {
      fail([...at, 'require', 'threshold', 'count'], `${threshold.count} is more than the ${threshold.of.length} signer(s) listed in of`, `lower count to at most ${threshold.of.length}, or list more signers in of`);
    }
  });
}
