// The policy as sigstore policy-controller's ClusterImagePolicies. Authorities inside one policy
// are OR-ed and every policy whose globs match must pass, so "all of A, B" becomes one policy per
// required signer and "any of A, B" one policy with both; a threshold between one and all would
// need a CUE policy over authorityMatches, which is refused rather than approximated. Each signer is
// accepted in both signature layouts (legacy .sig and Sigstore bundle referrers).
import type { KeylessSigner, PolicySigner, Rule } from '../policy/index.ts';
import { anchored, cannotExport, clausesOf, keyOf, objectName, ruleName, signerNamed, type ExportInput, type ExportResult } from './export.ts';
import { policyControllerGlobs } from './globs.ts';
import { policyControllerTrustRoot } from './trust-material.ts';

const TARGET = 'policy-controller';
const PUBLIC_REKOR = 'https://rekor.sigstore.dev';

export function toPolicyController(input: ExportInput): ExportResult {
  const warnings: string[] = [];
  const trustRootName = input.trust ? objectName(input.name, 'trust-root') : undefined;
  const policies = input.policy.rules.flatMap((rule) => rulePolicies(input, rule, trustRootName, warnings));
  const objects = [...(input.trust && trustRootName ? [policyControllerTrustRoot(trustRootName, input.trust)] : []), ...policies];
  return { objects, warnings };
}

function rulePolicies(input: ExportInput, rule: Rule, trustRootName: string | undefined, warnings: string[]): Record<string, unknown>[] {
  if (Object.keys(rule.annotations).length > 0) throw cannotExport(TARGET, rule, 'it requires payload annotations, which policy-controller authorities do not check');
  if (rule.platforms) throw cannotExport(TARGET, rule, 'it requires each platform image to be signed, and policy-controller checks only the digest the image reference resolves to (the index)');
  const images = policyControllerGlobs(rule, warnings).map((glob) => ({ glob }));
  const groups: string[][] = [];
  for (const clause of clausesOf(rule)) {
    if (clause.count === clause.of.length) groups.push(...clause.of.map((name) => [name]));
    else if (clause.count === 1) groups.push([...clause.of]);
    else throw cannotExport(TARGET, rule, `${clause.label} is a threshold between one and all, which policy-controller cannot count (authorities in a policy are OR-ed)`, 'require all of them, or any one');
  }
  return groups.map((signers) => ({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: objectName(input.name, ruleName(input.policy, rule), ...signers) },
    spec: { images, authorities: signers.flatMap((name) => authorities(input, signerNamed(input.policy, name), rule, trustRootName)), mode: 'enforce' },
  }));
}

/** One authority per signature layout: policy-controller reads one layout per authority. */
function authorities(input: ExportInput, signer: PolicySigner, rule: Rule, trustRootName: string | undefined): Record<string, unknown>[] {
  const ctlog = rule.transparencyLog === 'optional' ? {} : trustRootName ? { trustRootRef: trustRootName } : { url: PUBLIC_REKOR };
  const verifier =
    signer.kind === 'key'
      ? { key: { data: keyOf(input, signer.name), hashAlgorithm: 'sha256' } }
      : { keyless: { identities: [identity(signer)], ...(trustRootName ? { trustRootRef: trustRootName } : {}) } };
  return [
    { name: signer.name, ...verifier, ctlog },
    { name: `${signer.name}-bundle`, ...verifier, ctlog, signatureFormat: 'bundle' },
  ];
}

function identity(signer: KeylessSigner): Record<string, string> {
  return {
    ...(signer.issuer.kind === 'exact' ? { issuer: signer.issuer.value } : { issuerRegExp: anchored(signer.issuer.value) }),
    ...(signer.identity.kind === 'exact' ? { subject: signer.identity.value } : { subjectRegExp: anchored(signer.identity.value) }),
  };
}
