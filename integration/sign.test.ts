// kubectl build --push --sign with cosign keys, judged by the real cosign v2 and v3; without a
// transparency log (--tlog-upload=false), which integration/keyless.test.ts covers.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../hack/lib/net.ts';
import { COSIGN_VERSIONS, cosign, generateKeyPair, verifyWithKey, type CosignBinary, type CosignContext } from './harness/cosign.ts';
import { runCli, type CliResult } from './harness/cli.ts';
import { reply } from './harness/http-forwarder.ts';
import { createKmsKey, KMS_ENV } from './harness/kms.ts';
import { clientFilesFor, scratchDir, useBuildkitd, useKms, useRegistry, type TestRegistry } from './harness/index.ts';
import { pushRandomImage, type PushedImage } from './harness/random-image.ts';
import { status, useProxiedRegistry } from './harness/registry-proxy.ts';
import { digestTag, readBlob, readManifest, readReferrers } from './harness/registry-state.ts';
import { leaks, privateKeyForms, type Secret } from './harness/secrets.ts';

const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

const distribution = useRegistry({ kind: 'distribution', auth: true, seed: true });
const oci = useRegistry({ kind: 'oci', auth: true });
// A registry whose write policy refuses signature tags.
const guarded = useRegistry({ kind: 'oci', auth: true, denyTags: '\\.sig$' });
// The distribution registry behind a recording proxy that the builder pushes through too.
const proxied = useProxiedRegistry(distribution);
const buildkitd = useBuildkitd({ trust: [distribution, oci, guarded, proxied] });

function dockerConfig(): string {
  return clientFilesFor([distribution(), oci(), guarded(), proxied()]).dockerConfigDir;
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
    expect(result.status).toBe(0);
    const digest = image.slice(image.indexOf('@') + 1);
    expect(result.stderr).toContain(`sign: pushed the signature to ${registry().host}/signed/encrypted:${digestTag(digest)}.sig (1 signature there)`);
    expect((await readManifest(registry(), 'signed/encrypted', `${digestTag(digest)}.sig`))?.json.layers).toHaveLength(1);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(config), image, keys.publicKey)).toHaveLength(1);
    }
  });

  it('signs as a Sigstore bundle, and in both layouts at once, stored where cosign looks; cosign v2 and v3 verify each', async () => {
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'bundler');
    const { result, image, config } = await buildAndSign(registry(), 'signed/bundle', ['--signature-format', 'bundle', '--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const digest = image.slice(image.indexOf('@') + 1);
    const referrer = await expectBundleStored(registry(), 'signed/bundle', digest);
    // Only the bundle: what cosign verifies below is the referrer, not a .sig tag.
    expect(await readManifest(registry(), 'signed/bundle', `${digestTag(digest)}.sig`)).toBeUndefined();
    expect(result.stderr).toContain(`pushed the bundle as the referrer ${registry().host}/signed/bundle@${referrer}`);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(config), image, keys.publicKey)).not.toHaveLength(0);
    }

    const both = await buildAndSign(registry(), 'signed/both-formats', ['--signature-format', 'both', '--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    expect(both.result.status).toBe(0);
    const bothDigest = both.image.slice(both.image.indexOf('@') + 1);
    await expectBundleStored(registry(), 'signed/both-formats', bothDigest);
    expect((await readManifest(registry(), 'signed/both-formats', `${digestTag(bothDigest)}.sig`))?.json.layers).toHaveLength(1);
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
  it('takes a plain PKCS#8 key from env://VAR named by COSIGN_KEY, and puts -a annotations where cosign checks them', async () => {
    const dir = scratchDir('pkcs8');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'key.pem')]);
    execFileSync('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-pubout', '-out', join(dir, 'key.pub')]);
    // No --cosign-key: COSIGN_KEY names the key.
    const env = { COSIGN_KEY: 'env://SIGNING_KEY', SIGNING_KEY: readFileSync(join(dir, 'key.pem'), 'utf8') };
    const verifyAnnotated = (binary: CosignBinary, config: string, image: string, annotation: string) =>
      cosign(binary, cosignContext(config), ['verify', '--key', join(dir, 'key.pub'), '--insecure-ignore-tlog=true', '--trusted-root', trustedRoot(), '-a', annotation, image]);

    // The legacy payload's optional.
    const legacy = await buildAndSign(distribution(), 'signed/env', ['-a', 'team=platform'], env);
    expect(legacy.result.status, legacy.result.stderr.slice(-800)).toBe(0);
    expect(legacy.result.stderr).toContain('sign: loaded the key (env://SIGNING_KEY)');
    for (const binary of COSIGN_VERSIONS) {
      expect(JSON.parse(await verifyAnnotated(binary, legacy.config, legacy.image, 'team=platform'))[0].optional).toEqual({ team: 'platform' });
      await expect(verifyAnnotated(binary, legacy.config, legacy.image, 'team=other'), binary).rejects.toThrow(/annotation|no matching signatures/i);
    }
    // The bundle statement's subject, where cosign v3 writes and checks them.
    const bundle = await buildAndSign(distribution(), 'signed/env-bundle', ['--signature-format', 'bundle', '-a', 'team=platform'], env);
    expect(bundle.result.status, bundle.result.stderr.slice(-800)).toBe(0);
    expect(await verifyAnnotated('cosign-v3', bundle.config, bundle.image, 'team=platform')).not.toBe('');
    await expect(verifyAnnotated('cosign-v3', bundle.config, bundle.image, 'team=other')).rejects.toThrow(/annotation|no matching signatures/i);
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
    expect((await readManifest(distribution(), 'signed/concurrent', `${digestTag(digest)}.sig`))?.json.layers).toHaveLength(10);
    for (const key of keys) {
      expect(await verifyWithKey('cosign-v3', cosignContext(config), image, key.publicKey)).toHaveLength(1);
    }
    expect(await verifyWithKey('cosign-v2', cosignContext(config), image, keys[9]?.publicKey as string)).not.toHaveLength(0);
  });
});

describe('kubectl build --sign when the registry fails part way through storing', () => {
  it('keeps the signatures stored before the failure, and says which one could not be stored', async () => {
    const repository = 'signed/partial';
    // The bundle's referrer manifest (PUT by digest, after the .sig tag) is refused.
    proxied().intercept({ match: new RegExp(`^PUT /v2/${repository}/manifests/sha256:`), answer: status(500) });
    const keys = await generateKeyPair(cosignContext(dockerConfig()), 'partial');
    const { result } = await buildAndSign(proxied(), repository, ['--signature-format', 'both', '--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/\nerror: \S+\/signed\/partial@sha256:[0-9a-f]{64} was pushed, but its signature could not be stored: .*500/);
    const digest = /pushed \S+ as (sha256:[0-9a-f]{64})/.exec(result.stderr)?.[1] as string;
    // As the README says: the image stands, the legacy signature stored first stays, the bundle is nowhere.
    expect((await readManifest(distribution(), repository, '1'))?.digest).toBe(digest);
    expect((await readManifest(distribution(), repository, `${digestTag(digest)}.sig`))?.json.layers).toHaveLength(1);
    expect(await readManifest(distribution(), repository, digestTag(digest))).toBeUndefined();
    expect(await verifyWithKey('cosign-v2', cosignContext(dockerConfig()), `${distribution().host}/${repository}@${digest}`, keys.publicKey)).toHaveLength(1);
  });
});

describe('kubectl build --sign with an awskms:// key', () => {
  const kms = useKms();
  const aws = KMS_ENV;
  const kmsKey = (alias: string) => createKmsKey(kms(), alias);

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
    // Nothing was built: every one of these fails before the build starts, and nothing reached the registry.
    expect(result.stderr).not.toContain('#1 ');
    expect(await readManifest(distribution(), 'signed/errors', '1')).toBeUndefined();
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

    for (const uri of ['gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k', 'azurekms://vault/key', 'hashivault://key']) {
      // Refused in one sentence (and its hint), signing and verifying alike: the Roadmap's promise.
      const scheme = uri.slice(0, uri.indexOf(':'));
      const kms = await failFast(['--push', '--sign', '--cosign-key', uri]);
      expect(kms.status).toBe(1);
      expect(kms.stderr).toBe(`error: ${scheme}:// keys are not implemented in this version of kubectl-build\nhint: sign with a cosign key file for now, or run cosign sign --key after the build\n`);
      const verify = await runCli('kubectl-trust', ['verify', '--key', uri, `${distribution().host}/signed/errors@sha256:${'0'.repeat(64)}`], { env: { DOCKER_CONFIG: dockerConfig() } });
      expect(verify.status).toBe(2);
      expect(verify.stderr).toBe(`error: ${scheme}:// keys are not implemented in this version of kubectl-build\nhint: export the public key to a PEM file (cosign public-key --key ...) and pass that file\n`);
    }

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
    expect(await readManifest(guarded(), 'signed/refused', `${digestTag(digest as string)}.sig`)).toBeUndefined();
    // The push stands.
    expect((await readManifest(guarded(), 'signed/refused', '1'))?.digest).toBe(digest);
  });

  it('the leak finder finds the key in every form it could be printed in, and not in what is no secret', () => {
    const dir = scratchDir('forms');
    const { pem, forms } = plainKey(dir);
    const key = createPrivateKey(pem);
    const der = key.export({ type: 'pkcs8', format: 'der' });
    const printed = [
      pem,
      key.export({ type: 'sec1', format: 'pem' }).toString(),
      der.toString('base64'),
      der.toString('hex'),
      JSON.stringify(key.export({ format: 'jwk' })),
      inspect(der),
      JSON.stringify(der),
    ];
    for (const [n, text] of printed.entries()) expect(leaks(`debug: before ${text} after`, forms), `form ${n}`).not.toEqual([]);
    expect(leaks(`${createPublicKey(key).export({ type: 'spki', format: 'pem' })}`, forms)).toEqual([]);
  });

  it('never prints the private key or its password, with --debug, when it signs and when it fails', async () => {
    const config = dockerConfig();
    const dir = scratchDir('rekey');
    const { file, pem, forms } = plainKey(dir);
    const password = 'a-password-that-must-not-leak';
    // The same key under cosign's encryption, with a password of our own.
    await cosign('cosign-v3', cosignContext(config), ['import-key-pair', '--key', file, '--output-key-prefix', join(dir, 'imported')], password);
    const encrypted = join(dir, 'imported.key');
    const secrets: Secret[] = [...forms, { name: 'the password', value: password }, { name: 'the wrong password', value: 'wrong-password-typed' }];
    const expectSilent = (run: CliResult, what: string) => expect(leaks(`${run.stdout}\n${run.stderr}`, secrets), what).toEqual([]);

    const signed = await buildAndSign(distribution(), 'signed/quiet', ['--debug', '--cosign-key', encrypted], { COSIGN_PASSWORD: password });
    expect(signed.result.status).toBe(0);
    expectSilent(signed.result, 'signed');
    expect(await verifyWithKey('cosign-v3', cosignContext(config), signed.image, join(dir, 'imported.pub'))).toHaveLength(1);

    const wrong = await buildAndSign(distribution(), 'signed/quiet', ['--debug', '--cosign-key', encrypted], { COSIGN_PASSWORD: 'wrong-password-typed' });
    expect(wrong.result.stderr).toMatch(/error: wrong password for the cosign key/);
    expectSilent(wrong.result, 'wrong password');

    // Failing after the signature was made: the registry refuses it; the log cannot be reached.
    const refused = await buildAndSign(guarded(), 'signed/quiet', ['--debug', '--cosign-key', encrypted], { COSIGN_PASSWORD: password });
    expect(refused.result.stderr).toMatch(/its signature could not be stored/);
    expectSilent(refused.result, 'refused');
    const rekor = `http://127.0.0.1:${await freePort()}`;
    const unlogged = await buildAndSign(distribution(), 'signed/quiet', ['--debug', '--tlog-upload=true', '--rekor-url', rekor, '--cosign-key', encrypted], { COSIGN_PASSWORD: password });
    expect(unlogged.result.stderr).toMatch(/its signature could not be made: cannot reach the transparency log/);
    expectSilent(unlogged.result, 'log down');

    // The plain key from env://, where it sits in the environment.
    const fromEnv = await buildAndSign(guarded(), 'signed/quiet', ['--debug', '--cosign-key', 'env://SIGNING_KEY'], { SIGNING_KEY: pem });
    expect(fromEnv.result.stderr).toMatch(/its signature could not be stored/);
    expectSilent(fromEnv.result, 'env://');
  });
});

describe('kubectl build --sign signs the digest the builder pushed', () => {
  it('though the tag names another image by the time it signs: the tag is never read again', async () => {
    const repository = 'signed/moved';
    let other: PushedImage | undefined;
    // Between the builder's push and the signing, someone else pushes to the same tag.
    proxied().intercept({
      match: new RegExp(`^PUT /v2/${repository}/manifests/1$`),
      answer: async (response, _request, forward) => {
        const pushed = await forward();
        if (pushed.status === 201) other = await pushRandomImage(distribution(), repository, '1');
        reply(response, pushed);
      },
    });
    const config = dockerConfig();
    const keys = await generateKeyPair(cosignContext(config), 'pinned');
    const { result, image } = await buildAndSign(proxied(), repository, ['--cosign-key', keys.privateKey], { COSIGN_PASSWORD: keys.password });
    // What the run asked of the registry (cosign verify below goes through the proxy too).
    const requests = proxied().requests.slice();
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const pushed = image.slice(image.indexOf('@') + 1);
    expect(other?.digest).toBeDefined();
    expect(other?.digest).not.toBe(pushed);
    expect((await readManifest(distribution(), repository, '1'))?.digest).toBe(other?.digest);

    // The signature is the pushed digest's; the image the tag names now has none.
    expect((await readManifest(distribution(), repository, `${digestTag(pushed)}.sig`))?.json.layers).toHaveLength(1);
    expect(await readManifest(distribution(), repository, `${digestTag(other?.digest as string)}.sig`)).toBeUndefined();
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyWithKey(binary, cosignContext(config), image, keys.publicKey)).toHaveLength(1);
      await expect(verifyWithKey(binary, cosignContext(config), `${proxied().host}/${repository}:1`, keys.publicKey)).rejects.toThrow(/no (matching )?signatures/i);
    }

    // After the builder's push, the signing wrote through the proxy and never read the tag.
    const push = requests.indexOf(`PUT /v2/${repository}/manifests/1`);
    expect(push).toBeGreaterThanOrEqual(0);
    const signing = requests.slice(push + 1);
    expect(signing).toContain(`PUT /v2/${repository}/manifests/${digestTag(pushed)}.sig`);
    const tagReads = signing.filter((line) => new RegExp(`^(GET|HEAD) /v2/${repository}/manifests/1$`).test(line));
    expect(tagReads, `requests after the push: ${signing.join(', ')}`).toEqual([]);
  });
});

/**
 * The image has exactly one Sigstore bundle referrer, found where cosign looks on this registry: the
 * referrers API (and no fallback tag), or without the API the fallback index tag sha256-<hex>. The
 * referrer's subject is the image, and its bundle's statement names the digest. Returns the referrer.
 */
async function expectBundleStored(registry: TestRegistry, repository: string, digest: string): Promise<string> {
  const referrers = await readReferrers(registry, repository, digest);
  const fallback = await readManifest(registry, repository, digestTag(digest));
  const listed = registry.referrers ? referrers : fallback?.json.manifests;
  if (registry.referrers) expect(fallback).toBeUndefined();
  else expect(referrers).toBeUndefined();
  expect(listed?.map((entry) => entry.artifactType)).toEqual([BUNDLE_MEDIA_TYPE]);
  const referrer = listed?.[0]?.digest as string;
  const manifest = await readManifest(registry, repository, referrer);
  expect(manifest?.json.subject?.digest).toBe(digest);
  expect(manifest?.json.layers?.map((layer) => layer.mediaType)).toEqual([BUNDLE_MEDIA_TYPE]);
  const bundle = JSON.parse((await readBlob(registry, repository, manifest?.json.layers?.[0]?.digest as string)) ?? '{}');
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  expect(statement.subject).toEqual([{ digest: { sha256: digest.replace('sha256:', '') } }]);
  return referrer;
}

function trustedRoot(): string {
  const file = join(scratchDir('trusted-root'), 'trusted_root.json');
  writeFileSync(file, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }));
  return file;
}

/** A new plain PKCS#8 P-256 key (openssl's; cosign import-key-pair reads it) and its forms for the leak finder. */
function plainKey(dir: string): { file: string; pem: string; forms: Secret[] } {
  const file = join(dir, 'plain.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  const pem = readFileSync(file, 'utf8');
  return { file, pem, forms: privateKeyForms(pem) };
}
