// A loaded policy written back as a policy file, with each key signer's key replaced by its PEM and
// the trusted root by a given path: what a sweep inside the cluster reads from its ConfigMap, where
// the key files, env:// variables and k8s:// Secrets of the machine that made it do not exist.
import { stringify } from 'yaml';
import { POLICY_API_VERSION, POLICY_KIND, type Policy, type TextMatch } from './types.ts';

export function policyDocument(policy: Policy, keyPems: ReadonlyMap<string, string>, trustedRootPath: string | undefined): string {
  const match = (field: string, value: TextMatch) => (value.kind === 'exact' ? { [field]: value.value } : { [`${field}RegExp`]: value.value });
  return stringify(
    {
      apiVersion: POLICY_API_VERSION,
      kind: POLICY_KIND,
      ...(policy.name ? { metadata: { name: policy.name } } : {}),
      ...(trustedRootPath ? { trustedRoot: trustedRootPath } : {}),
      signers: policy.signers.map((signer) =>
        signer.kind === 'key'
          ? { name: signer.name, key: keyPems.get(signer.name) ?? signer.key }
          : { name: signer.name, keyless: { ...match('identity', signer.identity), ...match('issuer', signer.issuer) } },
      ),
      rules: policy.rules.map((rule) => ({
        ...(rule.name ? { name: rule.name } : {}),
        images: [...rule.images],
        require: rule.require,
        transparencyLog: rule.transparencyLog,
        ...(Object.keys(rule.annotations).length > 0 ? { annotations: rule.annotations } : {}),
        ...(rule.platforms ? { platforms: true } : {}),
      })),
    },
    { lineWidth: 0, aliasDuplicateObjects: false },
  );
}
