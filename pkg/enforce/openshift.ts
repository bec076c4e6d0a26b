// The policy as OpenShift ClusterImagePolicies (config.openshift.io/v1), where expressible: each
// has one root of trust (a public key, or Fulcio with Rekor and an email identity), and the
// policies of one scope must all hold, so "all of A, B" is one policy per signer; "any of" two or
// more, thresholds, regexps, URI identities and annotations cannot be said. CRI-O checks the
// platform image it pulls, in the legacy .sig layout only: sign with --sign-recursive.
import type { PolicySigner, Rule } from '../policy/index.ts';
import { cannotExport, clausesOf, keyOf, objectName, ruleName, signerNamed, type ExportInput, type ExportResult } from './export.ts';
import { openShiftScopes } from './globs.ts';

const TARGET = 'openshift';
const base64 = (text: string) => Buffer.from(text).toString('base64');

export function toOpenShift(input: ExportInput): ExportResult {
  const warnings: string[] = [];
  const objects = input.policy.rules.flatMap((rule) => {
    if (Object.keys(rule.annotations).length > 0) throw cannotExport(TARGET, rule, 'it requires payload annotations, which OpenShift image policies do not check');
    const scopes = openShiftScopes(rule);
    const signers = clausesOf(rule).flatMap((clause) => {
      if (clause.count === clause.of.length) return clause.of;
      if (clause.of.length === 1) return clause.of;
      throw cannotExport(TARGET, rule, `${clause.label} lets one of several signers suffice, and each OpenShift policy has exactly one root of trust (all policies of a scope must hold)`, 'require all of them');
    });
    if (!rule.platforms) warnings.push(`rule "${rule.label}": CRI-O verifies the platform image it pulls, not the index: sign with kubectl build --sign --sign-recursive`);
    return [...new Set(signers)].map((name) => ({
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterImagePolicy',
      metadata: { name: objectName(input.name, ruleName(input.policy, rule), name) },
      spec: { scopes, policy: { rootOfTrust: rootOfTrust(input, signerNamed(input.policy, name), rule), signedIdentity: { matchPolicy: 'MatchRepoDigestOrExact' } } },
    }));
  });
  return { objects, warnings };
}

function rootOfTrust(input: ExportInput, signer: PolicySigner, rule: Rule): Record<string, unknown> {
  const rekor = input.trust?.transparencyLogs[0];
  if (rule.transparencyLog === 'required' && !rekor) {
    throw cannotExport(TARGET, rule, 'it requires the transparency log, and OpenShift needs the Rekor key inline', 'give the policy a trustedRoot');
  }
  const rekorKeyData = rule.transparencyLog === 'required' && rekor ? { rekorKeyData: base64(rekor.publicKeyPem) } : {};
  if (signer.kind === 'key') return { policyType: 'PublicKey', publicKey: { keyData: base64(keyOf(input, signer.name)), ...rekorKeyData } };
  if (signer.identity.kind !== 'exact' || signer.issuer.kind !== 'exact') {
    throw cannotExport(TARGET, rule, `the signer "${signer.name}" is matched by a regular expression, and OpenShift matches an exact email and issuer`);
  }
  if (!signer.identity.value.includes('@') || signer.identity.value.includes('://')) {
    throw cannotExport(TARGET, rule, `the signer "${signer.name}" is the identity ${signer.identity.value}, and OpenShift matches email identities only`);
  }
  const fulcio = input.trust?.certificateAuthorities.map((authority) => authority.chainPem).join('');
  if (!fulcio || !rekor) throw cannotExport(TARGET, rule, `the keyless signer "${signer.name}" needs Fulcio's CA and Rekor's key inline`, 'give the policy a trustedRoot');
  return {
    policyType: 'FulcioCAWithRekor',
    fulcioCAWithRekor: {
      fulcioCAData: base64(fulcio),
      rekorKeyData: base64(rekor.publicKeyPem),
      fulcioSubject: { oidcIssuer: signer.issuer.value, signedEmail: signer.identity.value },
    },
  };
}
