// kubectl build --push --sign with cosign keys, judged by the real cosign v2 and v3; without a
// transparency log (--tlog-upload=false), which integration/keyless.test.ts covers.
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COSIGN_VERSIONS, cosign, generateKeyPair, verifyWithKey, type CosignContext } from './harness/cosign.ts';
import { httpGet } from '../hack/lib/http.ts';
import { runCli } from './harness/cli.ts';
import { clientFilesFor, scratchDir, useBuildkitd, useKms, useRegistry, type TestRegistry } from './harness/index.ts';

const distribution = useRegistry({ kind: 'distribution', auth: true, seed: true });
const oci = useRegistry({ kind: 'oci', auth: true });
// A registry whose write policy refuses signature tags.
const guarded = useRegistry({ kind: 'oci', auth: true, denyTags: '\\.sig$' });
const buildkitd = useBuildkitd({ trust: [distribution, oci, guarded] });

function dockerConfig(): string {
  return clientFilesFor([distribution(), oci(), guarded()]).dockerConfigDir;
}

function context(): string {
  const dir = scratchDir('sign-context');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${distribution().baseImage}\nRUN echo signed-image > /marker\n`);
  return dir;
}

function cosignContext(config: string): CosignContext {
  return { dir: scratchDir('cosign'), dockerConfigDir: config };
}

async function buildAndSign(target: TestRegistry, repository: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const config = dockerConfig();
  const dir = context();
  const metadataFile = join(dir, 'metadata.json');
  const tag = `${target.host}/${repository}:1`;
  // No transparency log here (integration/keyless.test.ts has one): cosign verifies with --insecure-ignore-tlog.
  const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', tag, '--push', '--sign', '--tlog-upload=false', '--metadata-file', metadataFile, ...args, dir], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: config, ...env },
  });
  const digest = result.status === 0 ? (JSON.parse(readFileSync(metadataFile, 'utf8'))['containerimage.digest'] as string) : undefined;
  return { result, tag, image: `${target.host}/${repository}@${digest}`, config };
}

describe.each([
  ['distribution (no referrers API)', distribution],
  ['oci (referrers API)', oci],
] as const)('kubectl build --sign on the %s registry', (_label, registry) => {
  it('signs the pushed digest with an encrypted cosign key; cosign v2 and v3 verify it', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'builder');
    const { result, image, config } = await buildAndSign(registry(), 'signed/encrypted', ['--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    expect(result.stderr).toMatch(/sign: pushed the signature to .*\.sig \(1 signature there\)/);
    expect(result.status).toBe(0);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(config), image, keys.publicKey)).toHaveLength(1);
    }
  });

  it('signs as a Sigstore bundle, and in both layouts at once; cosign v2 and v3 verify each', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'bundler');
    const { result, image, config } = await buildAndSign(registry(), 'signed/bundle', ['--signature-format', 'bundle', '--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    expect(result.status).toBe(0);
    const digest = image.slice(image.indexOf('@') + 1);
    const auth = { basicAuth: registry().auth };
    const accept = { accept: 'application/vnd.oci.image.index.v1+json' };
    if (registry().referrers) {
      expect(result.stderr).toMatch(/sign: pushed the bundle as the referrer \S+@sha256:[0-9a-f]{64} \(/);
      const referrers = JSON.parse((await httpGet(`${registry().url}/v2/signed/bundle/referrers/${digest}`, { ...auth, headers: accept })).body);
      expect(referrers.manifests.map((m: { artifactType: string }) => m.artifactType)).toEqual(['application/vnd.dev.sigstore.bundle.v0.3+json']);
    } else {
      expect(result.stderr).toMatch(/listed under \S+:sha256-[0-9a-f]{64} \(no referrers API\)/);
      const fallback = await httpGet(`${registry().url}/v2/signed/bundle/manifests/${digest.replace(':', '-')}`, { ...auth, headers: accept });
      expect(JSON.parse(fallback.body).manifests).toHaveLength(1);
    }
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(config), image, keys.publicKey)).not.toHaveLength(0);
    }

    const both = await buildAndSign(registry(), 'signed/both-formats', ['--signature-format', 'both', '--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    expect(both.result.status).toBe(0);
    expect(both.result.stderr).toMatch(/\.sig \(1 signature there\)/);
    expect(both.result.stderr).toMatch(/pushed the bundle as the referrer/);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(both.config), both.image, keys.publicKey)).not.toHaveLength(0);
    }
  });

  it('keeps a signature cosign sign made before, and both verify', async () => {
    const config = dockerConfig();
    const operator = await generateKeyPair(cosignContext(config), 'operator');
    const builder = await generateKeyPair(cosignContext(config), 'builder');
    const first = await buildAndSign(registry(), 'signed/both', ['--cosign-key', builder.privateKey], { COSIGN_PASSWORD: builder.password });
    expect(first.result.status).toBe(0);
    // The operator signs with the real cosign, then the builder signs the same digest again.
    await cosign('cosign-v3', cosignContext(config), ['sign', '--yes', '--key', operator.privateKey, '--tlog-upload=false', '--use-signing-config=false', '--new-bundle-format=false', first.image], operator.password);
    const again = await buildAndSign(registry(), 'signed/both', ['--cosign-key', builder.privateKey], { COSIGN_PASSWORD: builder.password });
    expect(again.image).toBe(first.image);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(config), first.image, operator.publicKey)).toHaveLength(1);
      expect(await verifyWithKey(binary, cosignContext(config), first.image, builder.publicKey)).not.toHaveLength(0);
    }
  });
});

describe('kubectl build --sign key sources and annotations', () => {
  it('takes a plain PKCS#8 key from env://VAR and puts -a annotations in the payload', async () => {
    const dir = scratchDir('pkcs8');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'key.pem')]);
    execFileSync('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-pubout', '-out', join(dir, 'key.pub')]);
    const { result, image, config } = await buildAndSign(distribution(), 'signed/env', ['--cosign-key', 'env://SIGNING_KEY', '-a', 'team=platform'], {
      SIGNING_KEY: readFileSync(join(dir, 'key.pem'), 'utf8'),
    });
    expect(result.status).toBe(0);
    for (const binary of COSIGN_VERSIONS) {
      const payloads = (await cosign(binary, cosignContext(config), [
        'verify', '--key', join(dir, 'key.pub'), '--insecure-ignore-tlog=true', '--trusted-root', trustedRoot(), '-a', 'team=platform', image,
      ])) as string;
      expect(JSON.parse(payloads)[0].optional).toEqual({ team: 'platform' });
    }
  });

  it('signs an image pushed by -o type=registry,name=... (no -t)', async () => {
    const config = dockerConfig();
    const keys = await generateKeyPair(cosignContext(config), 'by-output');
    const dir = context();
    const name = `${distribution().host}/signed/by-output:1`;
    const metadataFile = join(dir, 'metadata.json');
    const result = await runCli('kubectl-build', ['--progress', 'plain', '-o', `type=registry,name=${name}`, '--sign', '--tlog-upload=false', '--cosign-key', keys.privateKey, '--metadata-file', metadataFile, dir], {
      env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: config, COSIGN_PASSWORD: keys.password },
    });
    expect(result.status, result.stderr.slice(-600)).toBe(0);
    const digest = JSON.parse(readFileSync(metadataFile, 'utf8'))['containerimage.digest'] as string;
    expect(await verifyWithKey('cosign-v3', cosignContext(config), `${distribution().host}/signed/by-output@${digest}`, keys.publicKey)).toHaveLength(1);
  });

  it('ten signers at once with ten keys leave ten signatures that all verify', async () => {
    const config = dockerConfig();
    const keys = await Promise.all(Array.from({ length: 10 }, (_, i) => generateKeyPair(cosignContext(config), `signer-${i}`)));
    const runs = await Promise.all(keys.map((key) => buildAndSign(distribution(), 'signed/concurrent', ['--cosign-key', key.privateKey], { COSIGN_PASSWORD: key.password })));
    for (const run of runs) expect(run.result.status, `${run.result.signal ?? ''} ${run.result.stderr.slice(-1500)}`).toBe(0);
    const image = runs[0]?.image as string;
    expect(new Set(runs.map((run) => run.image)).size).toBe(1);
    // Exactly ten signature layers: none lost, none written twice.
    const digest = image.slice(image.indexOf('@') + 1);
    const sig = await httpGet(`${distribution().url}/v2/signed/concurrent/manifests/${digest.replace(':', '-')}.sig`, {
      basicAuth: distribution().auth,
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(JSON.parse(sig.body).layers).toHaveLength(10);
    for (const key of keys) {
      expect(await verifyWithKey('cosign-v3', cosignContext(config), image, key.publicKey)).toHaveLength(1);
    }
    expect(await verifyWithKey('cosign-v2', cosignContext(config), image, keys[9]?.publicKey as string)).not.toHaveLength(0);
  });
});

describe('kubectl build --sign with an awskms:// key', () => {
  const kms = useKms();
  const aws = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

  async function kmsKey(alias: string): Promise<{ uri: string; publicKey: string }> {
    const { KMSClient, CreateKeyCommand, CreateAliasCommand, GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
    const client = new KMSClient({ endpoint: kms().endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    await client.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: KeyMetadata?.KeyId }));
    const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: `alias/${alias}` }));
    const publicKey = join(scratchDir('kms-pub'), `${alias}.pub`);
    writeFileSync(publicKey, createPublicKey({ key: Buffer.from(PublicKey as Uint8Array), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
    return { uri: `awskms://${kms().hostPort}/alias/${alias}`, publicKey };
  }

  it('signs in both layouts with a key that never leaves KMS; cosign v2 and v3 verify', async () => {
    const key = await kmsKey('builder');
    const { result, image, config } = await buildAndSign(oci(), 'signed/kms', ['--signature-format', 'both', '--cosign-key', key.uri], aws);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    expect(result.stderr).toContain(`sign: loaded the key (${key.uri})`);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(config), image, key.publicKey)).not.toHaveLength(0);
    }
    // kubectl trust verify takes the same key from KMS (its public half) and from env://.
    const env = { DOCKER_CONFIG: config, ...aws, KMS_PUBLIC_KEY: readFileSync(key.publicKey, 'utf8') };
    for (const reference of [key.uri, 'env://KMS_PUBLIC_KEY']) {
      const verified = await runCli('kubectl-trust', ['verify', '--key', reference, '--insecure-ignore-tlog', image], { env });
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout.match(/ valid\n/g)).toHaveLength(2);
    }
    const unset = await runCli('kubectl-trust', ['verify', '--key', 'env://NO_SUCH_KEY', '--insecure-ignore-tlog', image], { env });
    expect(unset.status).toBe(2);
    expect(unset.stderr).toBe('error: the environment variable NO_SUCH_KEY named by env://NO_SUCH_KEY is not set\nhint: export NO_SUCH_KEY with the PEM of the public key\n');
  });

  it('a KMS key that does not exist: one sentence before anything is built', async () => {
    const uri = `awskms://${kms().hostPort}/alias/does-not-exist`;
    const dir = context();
    const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', `${oci().host}/signed/kms-missing:1`, '--push', '--sign', '--cosign-key', uri, dir], {
      env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: dockerConfig(), ...aws },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`error: the KMS key ${uri} does not exist\nhint: check the key id or alias, and the region (AWS_REGION)\n`);
  });
});

describe('kubectl build --sign errors', () => {
  const failFast = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const dir = context();
    const tag = `${distribution().host}/signed/errors:1`;
    const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', tag, ...args, dir], {
      env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: dockerConfig(), ...env },
    });
    // Nothing was built: every one of these fails before the build starts.
    expect(result.stderr).not.toContain('#1 ');
    return result;
  };

  it('--sign without --push: a usage error before building', async () => {
    const result = await failFast(['--sign', '--cosign-key', 'cosign.key']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('error: --sign needs --push: only a pushed image has a digest to sign\nhint: add --push and -t REGISTRY/IMAGE:TAG\n');
  });

  it('a wrong password, a missing key file, an unknown scheme, a KMS key, no password without a terminal', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'errors');
    const wrong = await failFast(['--push', '--sign', '--cosign-key', keys.privateKey], { COSIGN_PASSWORD: 'not-it' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^error: wrong password for the cosign key \(file .*errors\.key\)\nhint: set COSIGN_PASSWORD/);

    const missing = await failFast(['--push', '--sign', '--cosign-key', '/nonexistent/cosign.key']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: cannot read the cosign key \/nonexistent\/cosign\.key\n/);

    const scheme = await failFast(['--push', '--sign', '--cosign-key', 'vault2://x']);
    expect(scheme.status).toBe(2);
    expect(scheme.stderr).toMatch(/^error: unknown key scheme "vault2:\/\/" in --cosign-key\n/);

    const kms = await failFast(['--push', '--sign', '--cosign-key', 'gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k']);
    expect(kms.status).toBe(1);
    expect(kms.stderr).toMatch(/^error: gcpkms:\/\/ keys are not implemented/);

    const noPassword = await failFast(['--push', '--sign', '--cosign-key', keys.privateKey], { COSIGN_PASSWORD: undefined });
    expect(noPassword.status).toBe(2);
    expect(noPassword.stderr).toMatch(/^error: the cosign key is encrypted and COSIGN_PASSWORD is not set\n/);
  });

  it('a registry that refuses the signature: the push stands, the sign step fails clearly, no .sig tag', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'refused');
    const { result } = await buildAndSign(guarded(), 'signed/refused', ['--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error: \S+signed\/refused@sha256:[0-9a-f]{64} was pushed, but its signature could not be stored: the registry refused writing .*\.sig \(HTTP 403\)\n/);
    const digest = /pushed .* as (sha256:[0-9a-f]{64})/.exec(result.stderr)?.[1];
    expect(digest).toBeDefined();
    const sig = await httpGet(`${guarded().url}/v2/signed/refused/manifests/${(digest as string).replace(':', '-')}.sig`, { basicAuth: guarded().auth });
    expect(sig.status).toBe(404);
  });

  it('never prints the private key or its password, even with --debug', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'secretive');
    const password = 'a-password-that-must-not-leak';
    const dir = scratchDir('rekey');
    // Re-encrypt under a distinctive password by importing the PEM into cosign's format.
    await cosign('cosign-v3', cosignContext(dockerConfig()), ['import-key-pair', '--key', exportPlain(keys, dir), '--output-key-prefix', join(dir, 'imported')], password);
    const { result } = await buildAndSign(distribution(), 'signed/quiet', ['--debug', '--cosign-key', join(dir, 'imported.key')], { COSIGN_PASSWORD: password });
    expect(result.status).toBe(0);
    const output = `${result.stdout}${result.stderr}`;
    expect(output).not.toContain(password);
    const keyBody = readFileSync(join(dir, 'imported.key'), 'utf8').split('\n')[1] as string;
    expect(output).not.toContain(keyBody);
  });
});

function trustedRoot(): string {
  const file = join(scratchDir('trusted-root'), 'trusted_root.json');
  writeFileSync(file, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }));
  return file;
}

// A plain PKCS#8 copy of a cosign key (openssl reads the PKCS#8 that cosign's import accepts).
function exportPlain(_keys: { privateKey: string }, dir: string): string {
  const file = join(dir, 'plain.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  return file;
}
