// The two Sigstore client documents for a private instance: the trusted root (what cosign's
// --trusted-root and sigstore-js verify against: Fulcio's CA, Rekor's key, the CT log's key) and the
// signing config (where cosign v3 --signing-config finds Fulcio, Rekor and the OIDC issuer).
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

export interface LogInstance {
  readonly url: string;
  readonly publicKey: KeyObject;
}

export interface TrustedRootInput {
  readonly fulcio?: { readonly url: string; readonly chain: readonly X509Certificate[] };
  readonly rekor?: LogInstance;
  readonly ctLog?: LogInstance;
  /** Start of the logs' validity (before any entry they will ever hold). */
  readonly validFrom: Date;
}

export function trustedRoot(input: TrustedRootInput): Record<string, unknown> {
  const start = input.validFrom.toISOString();
  const ca = input.fulcio;
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: input.rekor ? [logEntry(input.rekor, start)] : [],
    certificateAuthorities: ca
      ? [
          {
            subject: subjectOf(ca.chain.at(-1)),
            uri: ca.url,
            certChain: { certificates: ca.chain.map((cert) => ({ rawBytes: cert.raw.toString('base64') })) },
            validFor: { start: earliest(ca.chain).toISOString() },
          },
        ]
      : [],
    ctlogs: input.ctLog ? [logEntry(input.ctLog, start)] : [],
    timestampAuthorities: [],
  };
}

export interface SigningConfigInput {
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly issuerUrl: string;
  readonly validFrom: Date;
}

export function signingConfig(input: SigningConfigInput): Record<string, unknown> {
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start: input.validFrom.toISOString() }, operator: 'kubectl-build-local' });
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: input.fulcioUrl ? [service(input.fulcioUrl)] : [],
    oidcUrls: [service(input.issuerUrl)],
    rekorTlogUrls: input.rekorUrl ? [service(input.rekorUrl)] : [],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [],
    tsaConfig: { selector: 'ANY' },
  };
}

/** The log ID cosign and sigstore-js match entries and SCTs by: SHA-256 of the key's DER SPKI. */
export function logId(publicKey: KeyObject): Buffer {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

function logEntry(log: LogInstance, start: string): Record<string, unknown> {
  return {
    baseUrl: log.url,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: log.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      keyDetails: keyDetails(log.publicKey),
      validFor: { start },
    },
    logId: { keyId: logId(log.publicKey).toString('base64') },
  };
}

function keyDetails(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1') return 'PKIX_ECDSA_P256_SHA_256';
  if (key.asymmetricKeyType === 'ec' && curve === 'secp384r1') return 'PKIX_ECDSA_P384_SHA_384';
  if (key.asymmetricKeyType === 'ed25519') return 'PKIX_ED25519';
  throw new Error(`no Sigstore key details for a ${key.asymmetricKeyType} ${curve ?? ''} key`);
}

/** X509Certificate.subject is "O=...\nCN=..." lines; the trusted root wants organization + commonName. */
function subjectOf(cert: X509Certificate | undefined): Record<string, string> {
  const fields = new Map((cert?.subject ?? '').split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const));
  return { organization: fields.get('O') ?? '', commonName: fields.get('CN') ?? '' };
}

function earliest(chain: readonly X509Certificate[]): Date {
  return new Date(Math.min(...chain.map((cert) => new Date(cert.validFrom).getTime())));
}
