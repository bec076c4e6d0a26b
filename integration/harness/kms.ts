// Keys in the test KMS (moto, hack/lib/kms.ts), made as a user makes them in AWS: an ECC P-256
// SIGN_VERIFY key under an alias, and its public half as PEM for the verifiers.
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KmsServer } from '../../hack/lib/kms.ts';
import { scratchDir } from './index.ts';

/** What the CLI needs to reach the test KMS with the SDK's usual variables. */
export const KMS_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

/** A new signing key as `alias/NAME`; its awskms:// URI through `hostPort` (the KMS's own by default). Call it inside a test. */
export async function createKmsKey(kms: KmsServer, alias: string, hostPort = kms.hostPort): Promise<{ uri: string; publicKey: string }> {
  const { KMSClient, CreateKeyCommand, CreateAliasCommand, GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
  const client = new KMSClient({ endpoint: kms.endpoint, region: KMS_ENV.AWS_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  await client.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: KeyMetadata?.KeyId }));
  const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: `alias/${alias}` }));
  const publicKey = join(scratchDir('kms-pub'), `${alias}.pub`);
  writeFileSync(publicKey, createPublicKey({ key: Buffer.from(PublicKey as Uint8Array), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
  return { uri: `awskms://${hostPort}/alias/${alias}`, publicKey };
}
