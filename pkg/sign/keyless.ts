// Keyless signing's key and certificate: a fresh P-256 key pair that lives only in this process,
// and a short-lived certificate from Fulcio binding its public key to the identity in an OIDC
// token (proof of possession: the key signs the token's subject). @sigstore/sign's CA client makes
// the request; its FulcioSigner is not used because it keeps only the leaf (cosign's legacy layout
// carries the chain too) and would quote the token in an error message.
import { generateKeyPairSync, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { KubectlBuildError } from '../errors/index.ts';
import type { Signer } from './keys.ts';
import { commonJs, sigstoreServiceError } from './sigstore-errors.ts';

export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';

export interface SigningCertificate {
  readonly signer: Signer;
  /** The leaf certificate, PEM. */
  readonly certificatePem: string;
  /** Intermediates and root as Fulcio sent them, PEM, leaf excluded. */
  readonly chainPem: readonly string[];
  readonly identity: string;
  readonly notAfterMs: number;
}

export interface CertificateRequest {
  readonly fulcioUrl: string;
  /** The OIDC ID token (never printed). */
  readonly token: string;
  /** The token's verified email or subject: what the key signs as proof of possession. */
  readonly identity: string;
  readonly timeoutMs?: number;
}

/** A new key pair and Fulcio's certificate for it. */
export async function requestCertificate(request: CertificateRequest): Promise<SigningCertificate> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const proof = cryptoSign('sha256', Buffer.from(request.identity), privateKey);
  // Loaded only for keyless signing; CommonJS, so the named export may sit under default.
  const { CAClient } = commonJs(await import('@sigstore/sign/dist/signer/fulcio/ca.js'), 'CAClient');
  const client = new CAClient({
    fulcioBaseURL: request.fulcioUrl.replace(/\/+$/, ''),
    timeout: request.timeoutMs ?? 30_000,
    retry: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 2000 },
  });
  let chain: string[];
  try {
    chain = await client.createSigningCertificate(request.token, publicKeyPem, proof);
  } catch (error) {
    throw fulcioError(request, error);
  }
  const [certificatePem, ...chainPem] = chain.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`));
  if (!certificatePem) throw new KubectlBuildError('SIGN_FAILED', `Fulcio at ${request.fulcioUrl} answered without a certificate`, { hint: 'check --fulcio-url' });
  const leaf = new X509Certificate(certificatePem);
  if (!leaf.publicKey.equals(publicKey)) {
    throw new KubectlBuildError('SIGN_FAILED', `Fulcio at ${request.fulcioUrl} certified another key than the one it was sent`, { hint: 'check --fulcio-url' });
  }
  return {
    signer: {
      description: `a keyless certificate for ${request.identity}`,
      publicKeyPem,
      sign: async (data) => cryptoSign('sha256', data, privateKey),
    },
    certificatePem,
    chainPem,
    identity: request.identity,
    notAfterMs: Date.parse(leaf.validTo),
  };
}

function fulcioError(request: CertificateRequest, error: unknown): KubectlBuildError {
  return sigstoreServiceError(
    {
      service: `Fulcio at ${request.fulcioUrl}`,
      what: `a certificate for ${request.identity}`,
      refusedHint: "check that this Fulcio trusts the token's issuer (--oidc-issuer) and that the token is fresh",
      unreachableHint: 'check --fulcio-url and the network',
      ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
    },
    error,
  );
}
