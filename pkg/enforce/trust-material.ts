// What the admission engines need from a Sigstore trusted_root.json, in the forms they take: PEM
// blocks (Kyverno, OpenShift), and policy-controller's TrustRoot object (sigstoreKeys: the CA
// chains, Rekor and CT log keys as base64 of their PEM). Read from the same file `kubectl trust
// verify --trusted-root` reads, so the engines trust exactly what our verdicts trusted.
import { X509Certificate, createPublicKey } from 'node:crypto';
import { KubectlBuildError } from '../errors/index.ts';

export interface LogKey {
  readonly url: string;
  readonly publicKeyPem: string;
}

export interface CertificateAuthority {
  readonly url: string;
  /** The chain, leaf-most first, root last, as PEM blocks one after the other. */
  readonly chainPem: string;
  readonly organization: string;
  readonly commonName: string;
}

export interface TrustMaterial {
  readonly certificateAuthorities: readonly CertificateAuthority[];
  readonly transparencyLogs: readonly LogKey[];
  readonly ctLogs: readonly LogKey[];
}

interface RawLog {
  baseUrl?: string;
  publicKey?: { rawBytes?: string };
}

interface RawRoot {
  certificateAuthorities?: Array<{ uri?: string; certChain?: { certificates?: Array<{ rawBytes?: string }> } }>;
  tlogs?: RawLog[];
  ctlogs?: RawLog[];
}

export function readTrustMaterial(trustedRoot: unknown, source: string): TrustMaterial {
  const root = (trustedRoot ?? {}) as RawRoot;
  try {
    return {
      certificateAuthorities: (root.certificateAuthorities ?? []).map((authority) => {
        const certificates = (authority.certChain?.certificates ?? []).map((entry) => new X509Certificate(Buffer.from(entry.rawBytes ?? '', 'base64')));
        const last = certificates.at(-1);
        if (!last) throw new Error('a certificate authority without certificates');
        const field = (name: string) => new RegExp(`(?:^|\\n)${name}=([^\\n]*)`).exec(last.subject)?.[1];
        return {
          url: authority.uri ?? '',
          chainPem: certificates.map((certificate) => certificate.toString()).join(''),
          organization: field('O') ?? 'unknown',
          commonName: field('CN') ?? 'unknown',
        };
      }),
      transparencyLogs: (root.tlogs ?? []).map(logKey),
      ctLogs: (root.ctlogs ?? []).map(logKey),
    };
  } catch (error) {
    throw new KubectlBuildError('USAGE', `the trusted root ${source} cannot be read: ${(error as Error).message}`, {
      hint: 'pass the trusted_root.json cosign trusted-root create wrote',
    });
  }
}

function logKey(log: RawLog): LogKey {
  const der = Buffer.from(log.publicKey?.rawBytes ?? '', 'base64');
  return { url: log.baseUrl ?? '', publicKeyPem: createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString() };
}

/** policy-controller's TrustRoot (policy.sigstore.dev/v1alpha1) holding the same keys. */
export function policyControllerTrustRoot(name: string, material: TrustMaterial): Record<string, unknown> {
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const log = (entry: LogKey) => ({ baseURL: entry.url, hashAlgorithm: 'sha-256', publicKey: base64(entry.publicKeyPem) });
  return {
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name },
    spec: {
      sigstoreKeys: {
        certificateAuthorities: material.certificateAuthorities.map((authority) => ({
          subject: { organization: authority.organization, commonName: authority.commonName },
          uri: authority.url,
          certChain: base64(authority.chainPem),
        })),
        tLogs: material.transparencyLogs.map(log),
        ctLogs: material.ctLogs.map(log),
      },
    },
  };
}
