// awskms:// keys, as cosign names them: awskms://[ENDPOINT]/KEY where KEY is a key id, a key ARN or
// alias/NAME. The key never leaves KMS: we ask for its public key and for signatures. AWS
// credentials come from the SDK's usual chain (environment, profile, instance role).
import { createHash, createPublicKey } from 'node:crypto';
import { errorMessage, KubectlBuildError } from '../errors/index.ts';
import type { Signer } from './keys.ts';

// KMS signs messages of up to 4 KiB itself (RAW); larger ones are hashed here and sent as a DIGEST.
// Our payloads are a few hundred bytes. (moto, our test server, hashes DIGEST messages once more,
// which real KMS does not; RAW is right for both.)
const RAW_LIMIT = 4096;

export function parseAwsKmsUri(uri: string): { endpoint?: string; keyId: string } {
  const rest = uri.slice('awskms://'.length);
  const slash = rest.indexOf('/');
  if (slash === -1 || slash === rest.length - 1) {
    throw new KubectlBuildError('USAGE', `invalid awskms:// key "${uri}"`, { hint: 'use awskms:///KEY_ID, awskms:///alias/NAME or awskms://ENDPOINT/KEY' });
  }
  const host = rest.slice(0, slash);
  const keyId = rest.slice(slash + 1);
  if (host === '') return { keyId };
  const loopback = /^(localhost|127\.[\d.]+|\[::1\])(:\d+)?$/.test(host);
  return { endpoint: `${loopback ? 'http' : 'https'}://${host}`, keyId };
}

/**
 * `env` reads AWS_REGION / AWS_DEFAULT_REGION; without them the SDK's own chain (profiles) decides.
 * `timeoutFlag` is the flag that sets `requestTimeoutMs`, for the hint when KMS does not answer.
 */
export async function awsKmsSigner(uri: string, env: (name: string) => string | undefined, requestTimeoutMs = DEFAULT_TIMEOUT_MS, timeoutFlag = '--sign-timeout'): Promise<Signer> {
  const { endpoint, keyId } = parseAwsKmsUri(uri);
  const { KMSClient, GetPublicKeyCommand, SignCommand } = await import('@aws-sdk/client-kms');
  // A local endpoint (a test server) does not care about the region; give it one if none is set.
  const region = env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? (endpoint ? 'us-east-1' : undefined);
  // Without a request timeout the SDK waits forever on a KMS that took the connection and never answers.
  const requestHandler = { connectionTimeout: requestTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true };
  const client = new KMSClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), requestHandler });
  const kmsError = (doing: string) => (error: unknown) => kmsFailure(uri, error, requestTimeoutMs, doing, timeoutFlag);
  let publicKeyDer: Uint8Array | undefined;
  let signingAlgorithms: string[] = [];
  try {
    const answer = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    publicKeyDer = answer.PublicKey;
    signingAlgorithms = answer.SigningAlgorithms ?? [];
  } catch (error) {
    throw kmsError('reading the public key of')(error);
  }
  if (!publicKeyDer) throw new KubectlBuildError('SIGN_FAILED', `KMS returned no public key for ${uri}`, { hint: 'check that the key is an asymmetric SIGN_VERIFY key' });
  const algorithm = ['ECDSA_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256'].find((name) => signingAlgorithms.includes(name));
  if (!algorithm) {
    throw new KubectlBuildError('USAGE', `the KMS key ${uri} cannot sign with ECDSA or RSA PKCS#1 over SHA-256`, { hint: 'use an ECC_NIST_P256 (or RSA) key with usage SIGN_VERIFY' });
  }
  const publicKeyPem = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
  return {
    description: uri,
    publicKeyPem,
    sign: async (data) => {
      const raw = data.length <= RAW_LIMIT;
      try {
        const answer = await client.send(
          new SignCommand({
            KeyId: keyId,
            Message: raw ? data : createHash('sha256').update(data).digest(),
            MessageType: raw ? 'RAW' : 'DIGEST',
            SigningAlgorithm: algorithm as 'ECDSA_SHA_256',
          }),
        );
        if (!answer.Signature) throw new Error('no signature in the answer');
        return Buffer.from(answer.Signature);
      } catch (error) {
        throw kmsError('signing with')(error);
      }
    },
  };
}

/** The SDK's default is no timeout at all; cosign's KMS calls share its 3-minute command timeout. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** Node's codes for a connection that was open and then lost. */
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** `doing`: what the call was, ending before the URI ("signing with"). */
export function kmsFailure(uri: string, error: unknown, requestTimeoutMs: number, doing: string, timeoutFlag = '--sign-timeout'): KubectlBuildError {
  const name = (error as { name?: string }).name ?? '';
  const code = (error as { code?: string }).code ?? '';
  const message = errorMessage(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  // The SDK already tried 3 times (its standard retries) before these. It names a dropped
  // connection a "TimeoutError" too (one of its transient errors): the code tells the two apart.
  if (DROPPED.has(code)) {
    return new KubectlBuildError('UNAVAILABLE', `the connection to KMS dropped while ${doing} ${uri} (${message})`, {
      hint: 'check the endpoint in the awskms:// URI and the network, then run the command again',
      cause: error,
    });
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new KubectlBuildError('UNAVAILABLE', `KMS did not answer within ${requestTimeoutMs / 1000} s for ${uri}`, {
      hint: `check the endpoint in the awskms:// URI and the network, or raise ${timeoutFlag}`,
      cause: error,
    });
  }
  if (status >= 500) {
    return new KubectlBuildError('UNAVAILABLE', `KMS failed on the key ${uri} (HTTP ${status}: ${message})`, { hint: 'try again later', cause: error });
  }
  if (name === 'NotFoundException') {
    return new KubectlBuildError('NOT_FOUND', `the KMS key ${uri} does not exist`, { hint: 'check the key id or alias, and the region (AWS_REGION)', cause: error });
  }
  if (/region is missing/i.test(message)) {
    return new KubectlBuildError('USAGE', `no AWS region for the KMS key ${uri}`, { hint: 'set AWS_REGION, or name the key by its ARN', cause: error });
  }
  if (/credential/i.test(name) || /credential/i.test(message)) {
    return new KubectlBuildError('UNAUTHENTICATED', `no AWS credentials to use the KMS key ${uri}`, { hint: 'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE', cause: error });
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|socket/i.test(message)) {
    return new KubectlBuildError('UNAVAILABLE', `cannot reach KMS for ${uri}`, { hint: 'check the endpoint in the awskms:// URI and the network', cause: error });
  }
  return new KubectlBuildError('SIGN_FAILED', `KMS refused to sign with ${uri}: ${message}`, { hint: 'check the key policy allows kms:Sign and kms:GetPublicKey', cause: error });
}
