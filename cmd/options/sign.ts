// Signing flags, with cosign's names, defaults and meaning: public Sigstore unless told otherwise.
import type { Argv } from 'yargs';
import { KubectlBuildError } from '../../pkg/errors/index.ts';

export function withSignOptions<T>(parser: Argv<T>) {
  return withKeylessOptions(signOptions(parser));
}

function signOptions<T>(parser: Argv<T>) {
  return parser
    .options({
      sign: { type: 'boolean', default: false, describe: 'Sign the pushed image (needs --push)' },
      'sign-recursive': { type: 'boolean', default: false, describe: 'With several --platform: also sign each platform image, not only the list' },
      'cosign-key': { type: 'string', describe: 'Private key: a file, env://VAR, k8s://NS/SECRET or a KMS URI (default: $COSIGN_KEY); without one, keyless' },
      'sign-annotation': { alias: 'a', type: 'string', array: true, nargs: 1, default: [] as string[], describe: 'Extra key=value annotation in the signature payload; repeatable' },
      'signature-format': { type: 'string', choices: ['legacy', 'bundle', 'both'] as const, default: 'legacy', describe: 'legacy: the .sig tag every cosign verifies; bundle: a Sigstore bundle referrer' },
      'tlog-upload': { type: 'boolean', default: true, describe: 'Record the signature in the Rekor transparency log (--tlog-upload=false: key signing only)' },
      'rekor-url': { type: 'string', coerce: last, default: 'https://rekor.sigstore.dev', describe: 'Rekor transparency log' },
      'sign-timeout': {
        type: 'string',
        coerce: last,
        default: '30s',
        describe: 'How long each request to Rekor, Fulcio, the OIDC issuer (or GitHub Actions\' token endpoint) and a KMS may wait for an answer (cosign\'s --timeout bounds the whole command; here the build is part of it); Rekor and Fulcio are tried 3 times',
      },
    })
    .group(['sign', 'sign-recursive', 'cosign-key', 'sign-annotation', 'signature-format', 'tlog-upload', 'rekor-url', 'sign-timeout'], 'Signing:');
}

/** Given twice, a flag's last value wins (as cosign's flags do) instead of becoming a list. */
export const last = (value: unknown) => (Array.isArray(value) ? value.at(-1) : value);

// Keyless signing: an OIDC identity (a token, or a browser login while the build runs) and Fulcio.
function withKeylessOptions<T>(parser: Argv<T>) {
  return parser
    .options({
      'identity-token': { type: 'string', coerce: last, describe: 'OIDC ID token for keyless signing, or a file holding it (default: $SIGSTORE_ID_TOKEN, else GitHub Actions\' token for the job)' },
      'fulcio-url': { type: 'string', coerce: last, default: 'https://fulcio.sigstore.dev', describe: 'Fulcio certificate authority' },
      'oidc-issuer': { type: 'string', coerce: last, default: 'https://oauth2.sigstore.dev/auth', describe: 'OIDC issuer for the browser login' },
      'oidc-client-id': { type: 'string', coerce: last, default: 'sigstore', describe: 'OIDC client id (also the audience the token must have)' },
      'login-timeout': { type: 'string', coerce: last, default: '5m', describe: 'How long to wait for the browser login once the build is done (90s, 5m, 1m30s)' },
    })
    .group(['identity-token', 'fulcio-url', 'oidc-issuer', 'oidc-client-id', 'login-timeout'], 'Keyless signing (no --cosign-key; COSIGN_EXPERIMENTAL=1 for the browser login):');
}

/** A Go-style duration as cosign's flags take them ("90s", "5m", "1m30s", "500ms"), or plain seconds. */
export function parseDuration(flag: string, value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) {
    throw new KubectlBuildError('USAGE', `invalid duration "${value}" for --${flag}`, { hint: 'use a duration such as 90s, 5m or 1m30s' });
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * (units[part[2] as string] as number), 0);
}
