// Signing flags, with cosign's names and meaning.
import type { Argv } from 'yargs';

export function withSignOptions<T>(parser: Argv<T>) {
  return parser
    .options({
      sign: { type: 'boolean', default: false, describe: 'Sign the pushed image (needs --push)' },
      'sign-recursive': { type: 'boolean', default: false, describe: 'With several --platform: also sign each platform image, not only the list' },
      'cosign-key': { type: 'string', describe: 'Private key: a file, env://VAR, k8s://NS/SECRET or a KMS URI (default: $COSIGN_KEY)' },
      'sign-annotation': { alias: 'a', type: 'string', array: true, nargs: 1, default: [] as string[], describe: 'Extra key=value annotation in the signature payload; repeatable' },
      'signature-format': { type: 'string', choices: ['legacy', 'bundle', 'both'] as const, default: 'legacy', describe: 'legacy: the .sig tag every cosign verifies; bundle: a Sigstore bundle referrer' },
      'tlog-upload': { type: 'boolean', default: false, describe: 'Upload the signature to the Rekor transparency log (not implemented yet)' },
      'rekor-url': { type: 'string', default: 'https://rekor.sigstore.dev', describe: 'Rekor server for --tlog-upload' },
    })
    .group(['sign', 'sign-recursive', 'cosign-key', 'sign-annotation', 'signature-format', 'tlog-upload', 'rekor-url'], 'Signing:');
}
