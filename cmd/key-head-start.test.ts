import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { describe, expect, it, vi } from 'vitest';
import { cosignScrypt, decryptCosignKey } from '../pkg/sign/keys.ts';
import { keyDerivation, withKeyHeadStart } from './key-head-start.ts';

// A key in cosign's encrypted layout, with a small scrypt cost so that the test is quick.
const PARAMS = { N: 1024, r: 8, p: 1 };
function encryptedKey(password: string): string {
  const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const secret = scryptSync(password, salt, 32, PARAMS);
  const body = {
    kdf: { name: 'scrypt', params: PARAMS, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(nacl.secretbox(der, nonce, secret)).toString('base64'),
  };
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(body)).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

const pem = encryptedKey('right');
const dir = mkdtempSync(join(tmpdir(), 'kb-head-start-'));
const keyFile = join(dir, 'cosign.key');
writeFileSync(keyFile, pem);

describe('keyDerivation', () => {
  it('derives what the key loader would, from a key file, file:// or env:// (the last --cosign-key wins, then COSIGN_KEY)', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv]> = [
      [['--sign', '--cosign-key', keyFile, '.'], {}],
      [['.', '--cosign-key=/nonexistent', `--cosign-key=file://${keyFile}`, '--sign=true'], {}],
      [['--sign', '.'], { COSIGN_KEY: 'env://KEY_PEM', KEY_PEM: pem }],
    ];
    for (const [args, env] of cases) {
      const started = keyDerivation(args, { COSIGN_PASSWORD: 'right', ...env });
      expect(started, args.join(' ')).toBeDefined();
      const salt = started?.salt as string;
      expect(await started?.derived).toEqual(await cosignScrypt('right', salt, PARAMS));
    }
  });

  it('starts nothing without --sign, a password in the environment, an encrypted key it can read, or for other key schemes', () => {
    const withPassword = { COSIGN_PASSWORD: 'right' };
    expect(keyDerivation(['--cosign-key', keyFile, '.'], withPassword)).toBeUndefined();
    expect(keyDerivation(['--sign', '--cosign-key', keyFile, '.'], {})).toBeUndefined();
    expect(keyDerivation(['--sign', '.'], withPassword)).toBeUndefined();
    expect(keyDerivation(['--sign', '--cosign-key', join(dir, 'missing.key')], withPassword)).toBeUndefined();
    expect(keyDerivation(['--sign', '--cosign-key', 'k8s://ns/secret'], withPassword)).toBeUndefined();
    expect(keyDerivation(['--sign', '--', '--cosign-key', keyFile], withPassword)).toBeUndefined();
    // A key on a pipe (/dev/stdin, a FIFO) is left for the key loader: reading it here would leave it nothing to read.
    const fifo = join(dir, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(keyDerivation(['--sign', '--cosign-key', fifo], withPassword)).toBeUndefined();
    expect(keyDerivation(['--sign', '--cosign-key', dir], withPassword)).toBeUndefined();
    const plain = join(dir, 'plain.key');
    writeFileSync(plain, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(keyDerivation(['--sign', '--cosign-key', plain], withPassword)).toBeUndefined();
  });
});

describe('withKeyHeadStart', () => {
  it('opens the key with the head start, without deriving again', async () => {
    const derive = vi.fn(cosignScrypt);
    const headStart = keyDerivation(['--sign', '--cosign-key', keyFile], { COSIGN_PASSWORD: 'right' });
    const key = await decryptCosignKey(pem, 'right', 'the key', withKeyHeadStart(headStart, derive));
    expect(key.asymmetricKeyType).toBe('ec');
    expect(derive).not.toHaveBeenCalled();
  });

  it('derives again when the inputs differ: a wrong password is still refused as wrong', async () => {
    const derive = vi.fn(cosignScrypt);
    const headStart = keyDerivation(['--sign', '--cosign-key', keyFile], { COSIGN_PASSWORD: 'right' });
    await expect(decryptCosignKey(pem, 'wrong', 'the key', withKeyHeadStart(headStart, derive))).rejects.toThrow('wrong password for the cosign key (the key)');
    expect(derive).toHaveBeenCalledTimes(1);
    // Another key (another salt) with the right password: derived for that key, and opened.
    const other = encryptedKey('right');
    await expect(decryptCosignKey(other, 'right', 'the key', withKeyHeadStart(headStart, derive))).resolves.toBeDefined();
    expect(derive).toHaveBeenCalledTimes(2);
  });
});
