// cosign's private keys: the encrypted PEM `cosign generate-key-pair` writes (scrypt + NaCl
// secretbox around PKCS#8), plain PKCS#8/SEC1 PEM, from a file or an environment variable
// (env://VAR). Keys are decrypted in memory and never written or printed.
import { createPrivateKey, createPublicKey, scrypt, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import nacl from 'tweetnacl';
import { KubectlBuildError } from '../errors/index.ts';
import { readK8sKey } from './k8s-key.ts';

/** The one-method seam every key source plugs into (sigstore-js's Signer shape). */
export interface Signer {
  /** A short description for progress and errors ("file ./cosign.key"), never key material. */
  readonly description: string;
  readonly publicKeyPem: string;
  sign(data: Buffer): Promise<Buffer>;
}

export interface KeyOptions {
  /** The password for an encrypted key: COSIGN_PASSWORD, or a prompt on a terminal. */
  readonly password: () => Promise<string>;
  /** Reads an environment variable (env:// keys). */
  readonly env: (name: string) => string | undefined;
  /** Reads a Secret's data (k8s:// keys), with the kubeconfig the command uses. */
  readonly kubeSecret?: (namespace: string | undefined, name: string) => Promise<Readonly<Record<string, Buffer>>>;
  /** How long each request to a KMS waits for an answer (--sign-timeout). */
  readonly requestTimeoutMs?: number;
  /**
   * scrypt for an encrypted key (the salt as written in it, base64); default: node:crypto's, on
   * libuv's thread pool. The CLI passes one that takes a derivation it started before it loaded.
   */
  readonly deriveKey?: DeriveKey;
}

/** scrypt's cost parameters, as cosign writes them into the key. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export type DeriveKey = (password: string, salt: string, params: ScryptParams) => Promise<Buffer>;

// awskms:// works; the others are recognised and refused in one sentence until they land.
const KMS_SCHEMES = ['gcpkms', 'azurekms', 'hashivault'];

/** Resolves --cosign-key / COSIGN_KEY to a signer; fails before anything is built when it cannot. */
export async function loadSigner(uri: string, options: KeyOptions): Promise<Signer> {
  const scheme = /^([a-z0-9]+):\/\//.exec(uri)?.[1];
  if (scheme === 'env') {
    const name = uri.slice('env://'.length);
    const pem = options.env(name);
    if (!pem) throw new KubectlBuildError('NOT_FOUND', `the environment variable ${name} named by --cosign-key is not set`, { hint: `export ${name} with the PEM of the private key` });
    return signerFromPem(pem, `env://${name}`, options);
  }
  if (scheme === 'awskms') {
    // The AWS SDK loads only for this key scheme.
    const { awsKmsSigner } = await import('./kms-aws.ts');
    return awsKmsSigner(uri, options.env, options.requestTimeoutMs);
  }
  if (scheme === 'k8s') return k8sSigner(uri, options);
  if (scheme && KMS_SCHEMES.includes(scheme)) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', `${scheme}:// keys are not implemented in this version of kubectl-build`, {
      hint: 'sign with a cosign key file for now, or run cosign sign --key after the build',
    });
  }
  if (scheme && scheme !== 'file') {
    throw new KubectlBuildError('USAGE', `unknown key scheme "${scheme}://" in --cosign-key`, {
      hint: 'use a file path, env://VAR, k8s://NAMESPACE/SECRET, or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)',
    });
  }
  const path = scheme === 'file' ? uri.slice('file://'.length) : uri;
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch {
    throw new KubectlBuildError('NOT_FOUND', `cannot read the cosign key ${path}`, { hint: 'check the path given to --cosign-key (or COSIGN_KEY)' });
  }
  return signerFromPem(pem, `file ${path}`, options);
}

/**
 * k8s://[NAMESPACE/]SECRET: the Secret `cosign generate-key-pair k8s://...` writes, with cosign.key
 * (encrypted) and cosign.password beside it, which is what cosign decrypts it with too.
 */
async function k8sSigner(uri: string, options: KeyOptions): Promise<Signer> {
  const { pem, data } = await readK8sKey(uri, 'cosign.key', options.kubeSecret, 'leave out --builder-addr, or point KUBECONFIG at the cluster holding the key');
  const password = data['cosign.password']?.toString('utf8');
  return signerFromPem(pem, uri, password === undefined ? options : { ...options, password: async () => password });
}

async function signerFromPem(pem: string, description: string, options: KeyOptions): Promise<Signer> {
  const privateKey = /-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem)
    ? await decryptCosignKey(pem, await options.password(), description, options.deriveKey)
    : parsePlainKey(pem, description);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  // ECDSA and RSA sign a SHA-256 digest (DER signatures, as cosign's); Ed25519 signs the data itself.
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return {
    description,
    publicKeyPem,
    sign: async (data) => cryptoSign(algorithm, data, privateKey),
  };
}

function parsePlainKey(pem: string, description: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new KubectlBuildError('USAGE', `the cosign key (${description}) is not a private key PEM`, {
      hint: 'use a key from cosign generate-key-pair, or a PKCS#8 PEM private key',
    });
  }
}

interface EncryptedKey {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/** The secretbox key (32 bytes) from the password, as cosign derives it. */
export const cosignScrypt: DeriveKey = (password, salt, { N, r, p }) =>
  new Promise((resolve, reject) => scrypt(password, Buffer.from(salt, 'base64'), 32, { N, r, p, maxmem: 256 * N * r }, (error, key) => (error ? reject(error) : resolve(key))));

/**
 * scrypt(password, salt) opens the NaCl secretbox that holds the PKCS#8 DER. scrypt with cosign's
 * parameters takes ~0.2 s of CPU (half of a cached build and push): it runs on libuv's thread pool,
 * so that the build can reach its daemon meanwhile (cmd/signing.ts), from before the program loads
 * when the CLI could start it then (cmd/key-head-start.ts).
 */
export async function decryptCosignKey(pem: string, password: string, description = 'the key', deriveKey: DeriveKey = cosignScrypt): Promise<KeyObject> {
  const body = pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, '');
  let parsed: EncryptedKey;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as EncryptedKey;
  } catch {
    throw new KubectlBuildError('USAGE', `the cosign key (${description}) is damaged`, { hint: 'generate a new one with cosign generate-key-pair' });
  }
  if (parsed.kdf?.name !== 'scrypt' || parsed.cipher?.name !== 'nacl/secretbox') {
    throw new KubectlBuildError('USAGE', `the cosign key (${description}) uses an encryption kubectl-build does not know`, { hint: 'expected scrypt and nacl/secretbox, as cosign writes' });
  }
  const secret = await deriveKey(password, parsed.kdf.salt, parsed.kdf.params);
  const opened = nacl.secretbox.open(Buffer.from(parsed.ciphertext, 'base64'), Buffer.from(parsed.cipher.nonce, 'base64'), secret);
  if (!opened) {
    throw new KubectlBuildError('UNAUTHENTICATED', `wrong password for the cosign key (${description})`, {
      hint: 'set COSIGN_PASSWORD to the password the key was made with',
    });
  }
  return createPrivateKey({ key: Buffer.from(opened), format: 'der', type: 'pkcs8' });
}
