// A signing certificate, checked as cosign checks it (sigstore-go's VerifyLeafCertificate and
// VerifySignedCertificateTimestamp, cosign's CheckExpiry): at every time the signature is known to
// have existed (the verified log entry's integrated time, else now) the certificate and its chain
// to a CA of the trusted root are valid, the chain allows code signing, and an SCT from a CT log of
// the trusted root is embedded. @sigstore/verify's chain and SCT checks do the work; they are
// called directly because its Verifier crashes on a certificate with no timestamp to check it at.
import type { X509Certificate } from '@sigstore/core';
import { verifyCertificateChain } from '@sigstore/verify/dist/key/certificate.js';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';
import { CheckProblem } from './problem.ts';
import type { Trust } from './trust.ts';
import type { SignerIdentity } from './types.ts';

const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_EXTENDED_KEY_USAGE = '2.5.29.37';
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** A time the certificate must have been valid at, and what it is, for the user. */
export interface CheckTime {
  readonly at: Date;
  readonly source: string;
}

/** Who the certificate names: SAN, and the OIDC issuer from Fulcio's extension (v2 DER string, else v1 raw). */
export function certificateIdentity(certificate: X509Certificate): Extract<SignerIdentity, { kind: 'keyless' }> {
  const v2 = certificate.extension(OID_ISSUER_V2)?.valueObj.subs[0]?.value;
  const issuer = (v2 ?? certificate.extension(OID_ISSUER_V1)?.value)?.toString('utf8') ?? '';
  return { kind: 'keyless', identity: certificate.subjectAltName ?? '', issuer };
}

/** Throws a CheckProblem unless the certificate chains to the trusted root with an SCT at every time. */
export function checkCertificate(trust: Trust, certificate: X509Certificate, times: readonly CheckTime[]): void {
  if (!trust.hasTrustedRoot) throw new CheckProblem('no trusted root to check the certificate against');
  for (const time of times) {
    checkValidAt(certificate, time);
    let path: X509Certificate[];
    try {
      path = verifyCertificateChain(time.at, certificate, trust.material.certificateAuthorities);
    } catch {
      throw new CheckProblem(`the certificate does not chain to a CA of the trusted root valid at ${time.source}`);
    }
    if (!path.every(allowsCodeSigning)) throw new CheckProblem('the certificate chain is not for code signing');
    const issuer = path[1];
    if (!issuer) throw new CheckProblem('the certificate is itself a CA of the trusted root, not a signing certificate');
    let scts: unknown[];
    try {
      scts = verifySCTs(certificate, issuer, trust.material.ctlogs);
    } catch {
      throw new CheckProblem('the certificate has an SCT that does not verify with a CT log of the trusted root');
    }
    if (scts.length === 0) throw new CheckProblem('the certificate carries no SCT (cosign requires one)');
  }
}

/** cosign's CheckExpiry for the leaf alone: what a trusted key vouching for a certificate still needs. */
export function checkValidAt(certificate: X509Certificate, time: CheckTime): void {
  if (certificate.notAfter < time.at) throw new CheckProblem(`the certificate expired before ${time.source} (${time.at.toISOString()})`);
  if (certificate.notBefore > time.at) throw new CheckProblem(`the certificate was issued after ${time.source} (${time.at.toISOString()})`);
}

/** Go's x509 rule: a certificate with an extended key usage must allow code signing (or any use). */
function allowsCodeSigning(certificate: X509Certificate): boolean {
  const extension = certificate.extension(OID_EXTENDED_KEY_USAGE);
  if (!extension) return true;
  const usages = extension.valueObj.subs[0]?.subs.map((oid) => oid.toOID()) ?? [];
  return usages.includes(CODE_SIGNING) || usages.includes(ANY_EXTENDED_KEY_USAGE);
}
