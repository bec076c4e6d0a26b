// The policy cosign's verify flags mean when no --policy is given: every --key, and the keyless
// identity, is a signer; one rule for every image (whatever its tag) that any one of them satisfies.
// Checked as cosign checks them: a keyless identity needs both its subject and its issuer, and with
// nothing to trust at all there is nothing to verify against.
import { KubectlBuildError } from '../errors/index.ts';
import { regExpProblem } from './patterns.ts';
import type { Policy, PolicySigner, TextMatch } from './types.ts';

export interface FlagOptions {
  /** --key values, each its own signer named by the reference as written. */
  readonly keys: readonly string[];
  readonly certificateIdentity?: string;
  readonly certificateIdentityRegexp?: string;
  readonly certificateOidcIssuer?: string;
  readonly certificateOidcIssuerRegexp?: string;
  /** -a key=value: every counted signature must carry them. */
  readonly annotations: Readonly<Record<string, string>>;
  /** --insecure-ignore-tlog: a signature counts without a log entry. */
  readonly ignoreTlog: boolean;
  readonly trustedRoot?: string;
}

export const FLAGS_POLICY_SOURCE = 'command-line flags';

/** The implicit policy of --key / --certificate-* / -a / --insecure-ignore-tlog. */
export function policyFromFlags(options: FlagOptions): Policy {
  const signers: PolicySigner[] = [...new Set(options.keys)].map((key) => ({ kind: 'key', name: key, key }));
  const keyless = keylessSigner(options);
  if (keyless) signers.push(keyless);
  if (signers.length === 0) {
    throw new KubectlBuildError('USAGE', 'nothing to verify against: no key, no certificate identity and no policy', {
      hint: 'give --key, --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp), or --policy',
    });
  }
  return {
    source: FLAGS_POLICY_SOURCE,
    ...(options.trustedRoot === undefined ? {} : { trustedRoot: options.trustedRoot }),
    signers,
    rules: [
      {
        name: 'flags',
        label: 'flags',
        images: ['**'],
        require: { anyOf: signers.map((signer) => signer.name) },
        transparencyLog: options.ignoreTlog ? 'optional' : 'required',
        annotations: options.annotations,
        platforms: false,
      },
    ],
  };
}

function keylessSigner(options: FlagOptions): PolicySigner | undefined {
  const identity = oneOf(options.certificateIdentity, options.certificateIdentityRegexp, '--certificate-identity');
  const issuer = oneOf(options.certificateOidcIssuer, options.certificateOidcIssuerRegexp, '--certificate-oidc-issuer');
  if (!identity && !issuer) return undefined;
  if (!identity) {
    throw new KubectlBuildError('USAGE', 'a keyless signature needs --certificate-identity or --certificate-identity-regexp', {
      hint: 'add --certificate-identity with the signer\'s email or workflow URI (or --certificate-identity-regexp)',
    });
  }
  if (!issuer) {
    throw new KubectlBuildError('USAGE', 'a keyless signature needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp', {
      hint: 'add --certificate-oidc-issuer, e.g. https://token.actions.githubusercontent.com or https://accounts.google.com',
    });
  }
  return { kind: 'keyless', name: identity.value, identity, issuer };
}

/** The exact flag or its -regexp twin; both at once is refused rather than guessed at. */
function oneOf(exact: string | undefined, regExp: string | undefined, flag: string): TextMatch | undefined {
  if (exact && regExp) throw new KubectlBuildError('USAGE', `${flag} and ${flag}-regexp were both given`, { hint: `give one of ${flag} and ${flag}-regexp` });
  if (exact) return { kind: 'exact', value: exact };
  if (!regExp) return undefined;
  const problem = regExpProblem(regExp);
  if (problem) throw new KubectlBuildError('USAGE', `${flag}-regexp: ${problem}`, { hint: 'the regular expression must match the whole value, so no ^ or $ is needed' });
  return { kind: 'regexp', value: regExp };
}
