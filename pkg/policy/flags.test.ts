import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.ts';
import { policyFromFlags } from './flags.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';
const base = { keys: [], annotations: {}, ignoreTlog: false };

describe('policyFromFlags', () => {
  it('makes each --key a signer and accepts any one of them on any image and tag', () => {
    const policy = policyFromFlags({ ...base, keys: ['cosign.pub', 'env://OTHER', 'cosign.pub'] });
    expect(policy.signers).toEqual([
      { kind: 'key', name: 'cosign.pub', key: 'cosign.pub' },
      { kind: 'key', name: 'env://OTHER', key: 'env://OTHER' },
    ]);
    expect(policy.rules).toEqual([
      { name: 'flags', label: 'flags', images: ['**'], require: { anyOf: ['cosign.pub', 'env://OTHER'] }, transparencyLog: 'required', annotations: {}, platforms: false },
    ]);
    const signature = { found: { format: 'bundle' as const, location: 'x' }, valid: true, signer: { kind: 'key' as const, fingerprint: 'ff', keyName: 'env://OTHER' }, annotations: {} };
    const fingerprints = new Map([['env://OTHER', 'ff']]);
    expect(evaluate(policy, { name: 'index.docker.io/library/busybox', tag: '1.36' }, [signature], fingerprints).missing).toEqual([
      "any of [cosign.pub, env://OTHER]: none found",
      "env://OTHER's signature has no transparency log entry",
    ]);
    expect(evaluate(policyFromFlags({ ...base, keys: ['env://OTHER'], ignoreTlog: true }), { name: 'r/x' }, [signature], fingerprints).outcome).toBe('pass');
  });

  it('makes a keyless signer of an identity and an issuer, exact or regexp', () => {
    const policy = policyFromFlags({ ...base, certificateIdentityRegexp: '.*@example\\.com', certificateOidcIssuer: GITHUB, annotations: { env: 'prod' }, trustedRoot: 'root.json' });
    expect(policy.signers).toEqual([{ kind: 'keyless', name: '.*@example\\.com', identity: { kind: 'regexp', value: '.*@example\\.com' }, issuer: { kind: 'exact', value: GITHUB } }]);
    expect(policy.trustedRoot).toBe('root.json');
    expect(policy.rules[0]?.annotations).toEqual({ env: 'prod' });
  });

  it('refuses a keyless identity without its issuer, and an issuer without identity, naming the flag', () => {
    expect(() => policyFromFlags({ ...base, certificateIdentity: 'me@example.com' })).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('--certificate-oidc-issuer') }));
    expect(() => policyFromFlags({ ...base, certificateOidcIssuerRegexp: '.*' })).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('--certificate-identity') }));
  });

  it('refuses an exact flag with its -regexp twin, and an invalid regexp', () => {
    expect(() => policyFromFlags({ ...base, certificateIdentity: 'a', certificateIdentityRegexp: 'b', certificateOidcIssuer: GITHUB })).toThrow('--certificate-identity and --certificate-identity-regexp were both given');
    expect(() => policyFromFlags({ ...base, certificateIdentityRegexp: '[a', certificateOidcIssuer: GITHUB })).toThrow(/^--certificate-identity-regexp: "\[a" is not a valid regular expression/);
  });

  it('refuses to verify against nothing', () => {
    expect(() => policyFromFlags(base)).toThrow(expect.objectContaining({ code: 'USAGE', hint: expect.stringContaining('--policy') }));
  });
});
