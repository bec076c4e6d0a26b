// The policy as one Kyverno ClusterPolicy with a verifyImages rule per policy rule. Kyverno's
// attestors are AND-ed and each counts N of its entries, so all / anyOf / threshold map one to one;
// annotations go on every entry. Kyverno checks the digest the tag resolves to, so rules that
// require each platform image of an index are refused.
import type { KeylessSigner, PolicySigner, Rule } from '../policy/index.ts';
import { anchored, cannotExport, clausesOf, keyOf, objectName, ruleName, signerNamed, type ExportInput, type ExportResult } from './export.ts';
import { kyvernoImageReferences } from './globs.ts';

const TARGET = 'kyverno';
const PUBLIC_REKOR = 'https://rekor.sigstore.dev';

export function toKyverno(input: ExportInput): ExportResult {
  const warnings: string[] = [];
  const rules = input.policy.rules.map((rule) => {
    if (rule.platforms) throw cannotExport(TARGET, rule, 'it requires each platform image to be signed, and Kyverno checks only the digest the image reference resolves to (the index)');
    return {
      name: objectName(ruleName(input.policy, rule)),
      match: { any: [{ resources: { kinds: ['Pod'] } }] },
      verifyImages: [
        {
          imageReferences: kyvernoImageReferences(rule, warnings),
          type: 'Cosign',
          failureAction: 'Enforce',
          mutateDigest: true,
          verifyDigest: true,
          required: true,
          attestors: clausesOf(rule).map((clause) => ({
            ...(clause.count < clause.of.length ? { count: clause.count } : {}),
            entries: clause.of.map((name) => entry(input, signerNamed(input.policy, name), rule)),
          })),
        },
      ],
    };
  });
  const policy = {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: objectName(input.name) },
    spec: { background: false, webhookTimeoutSeconds: 30, rules },
  };
  return { objects: [policy], warnings };
}

function entry(input: ExportInput, signer: PolicySigner, rule: Rule): Record<string, unknown> {
  const log = input.trust?.transparencyLogs[0];
  const rekor = rule.transparencyLog === 'optional' ? { ignoreTlog: true } : log ? { url: log.url, pubkey: log.publicKeyPem } : { url: PUBLIC_REKOR };
  const annotations = Object.keys(rule.annotations).length > 0 ? { annotations: { ...rule.annotations } } : {};
  if (signer.kind === 'key') return { keys: { publicKeys: keyOf(input, signer.name), rekor }, ...annotations };
  const roots = input.trust?.certificateAuthorities.map((authority) => authority.chainPem).join('');
  const ctlog = input.trust?.ctLogs[0];
  return {
    keyless: {
      ...identity(signer),
      ...(roots ? { roots } : {}),
      rekor,
      ...(ctlog ? { ctlog: { pubkey: ctlog.publicKeyPem } } : {}),
    },
    ...annotations,
  };
}

function identity(signer: KeylessSigner): Record<string, string> {
  return {
    ...(signer.identity.kind === 'exact' ? { subject: signer.identity.value } : { subjectRegExp: anchored(signer.identity.value) }),
    ...(signer.issuer.kind === 'exact' ? { issuer: signer.issuer.value } : { issuerRegExp: anchored(signer.issuer.value) }),
  };
}
