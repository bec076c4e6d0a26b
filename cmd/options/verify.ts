// `kubectl trust verify` flags: cosign verify's names and meaning for the signers and the trust
// material (--key, --certificate-identity[-regexp], --certificate-oidc-issuer[-regexp],
// --trusted-root, --insecure-ignore-tlog, -a), plus --policy and the repository view's filters.
import type { Argv } from 'yargs';
import { REQUEST_TIMEOUT_OPTION } from './kube.ts';
import { kmsTimeoutOption, type KmsTimeoutArgv } from './kms.ts';
import { registryTimeoutOption, type RegistryTimeoutArgv } from './registry.ts';
import { last } from './sign.ts';

export interface VerifyArgv extends RegistryTimeoutArgv, KmsTimeoutArgv {
  image?: string;
  key: string[];
  'certificate-identity'?: string;
  'certificate-identity-regexp'?: string;
  'certificate-oidc-issuer'?: string;
  'certificate-oidc-issuer-regexp'?: string;
  'trusted-root'?: string;
  'insecure-ignore-tlog': boolean;
  annotations: string[];
  policy?: string;
  output: 'table' | 'json';
  repository?: string;
  unsigned: boolean;
  failing: boolean;
  'signed-by'?: string;
  concurrency: number;
  'allow-http-registry': boolean;
  kubeconfig?: string;
  context?: string;
  'request-timeout': string;
  namespace?: string;
  debug: boolean;
}

export function withVerifyOptions<T>(parser: Argv<T>) {
  return parser
    .positional('image', { type: 'string', describe: 'The image: REGISTRY/REPOSITORY:TAG (resolved once) or @sha256:DIGEST' })
    .options({
      key: { type: 'string', array: true, nargs: 1, default: [] as string[], describe: 'Public key: a PEM file, env://VAR, k8s://NS/SECRET or awskms://...; repeatable (any one signing suffices)' },
      'certificate-identity': { type: 'string', coerce: last, describe: "Keyless: the certificate's identity (email or URI), exactly" },
      'certificate-identity-regexp': { type: 'string', coerce: last, describe: "Keyless: a regular expression the whole identity must match" },
      'certificate-oidc-issuer': { type: 'string', coerce: last, describe: "Keyless: the identity's OIDC issuer, exactly" },
      'certificate-oidc-issuer-regexp': { type: 'string', coerce: last, describe: 'Keyless: a regular expression the whole issuer must match' },
      'trusted-root': { type: 'string', coerce: last, describe: 'Sigstore trusted root (trusted_root.json): the CAs, CT logs and Rekor logs to trust' },
      'insecure-ignore-tlog': { type: 'boolean', default: false, describe: 'Do not require a transparency log entry (key signatures only, as cosign)' },
      annotations: { alias: 'a', type: 'string', array: true, nargs: 1, default: [] as string[], describe: 'key=value the signed payload must carry; repeatable' },
      policy: { type: 'string', coerce: last, describe: 'A signer policy file (YAML, see docs/policy.md) instead of --key/--certificate-* flags' },
      output: { alias: 'o', type: 'string', choices: ['table', 'json'] as const, default: 'table', coerce: last, describe: 'table, or json (docs/verify.md)' },
      'allow-http-registry': { type: 'boolean', default: false, describe: 'Reach the registry over plain HTTP (loopback registries always are)' },
      'registry-timeout': registryTimeoutOption('', 'no answer is no verdict (exit 2)'),
      'kms-timeout': kmsTimeoutOption('no answer is no verdict (exit 2)'),
    })
    .group(['key', 'certificate-identity', 'certificate-identity-regexp', 'certificate-oidc-issuer', 'certificate-oidc-issuer-regexp', 'trusted-root', 'insecure-ignore-tlog', 'annotations', 'policy'], 'Signers and trust (cosign verify\'s flags):')
    .options({
      repository: { type: 'string', coerce: last, describe: 'Verify every tag of this repository (REGISTRY/REPOSITORY) instead of one image' },
      unsigned: { type: 'boolean', default: false, describe: 'With --repository: list only tags with no signature at all (ones signed by an untrusted key show under --failing)' },
      failing: { type: 'boolean', default: false, describe: 'With --repository: list only tags whose verdict is not a pass' },
      'signed-by': { type: 'string', coerce: last, describe: 'With --repository: list only tags signed by this policy signer, identity or key fingerprint' },
      concurrency: { type: 'number', default: 8, coerce: last, describe: 'With --repository: images verified at once' },
    })
    .group(['repository', 'unsigned', 'failing', 'signed-by', 'concurrency'], 'Repository view:')
    .options({
      kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file, for k8s:// keys (default: $KUBECONFIG, then ~/.kube/config)' },
      context: { type: 'string', describe: 'The kubeconfig context, for k8s:// keys' },
      namespace: { alias: 'n', type: 'string', describe: "Namespace of k8s://SECRET keys given without one (default: the context's)" },
      ...REQUEST_TIMEOUT_OPTION,
    })
    .group(['kubeconfig', 'context', 'namespace', 'request-timeout'], 'Cluster:');
}
