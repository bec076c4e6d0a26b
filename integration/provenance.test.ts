// --provenance, --attest, --annotation and SOURCE_DATE_EPOCH against a real BuildKit and registry:
// what lands in the registry (the index, BuildKit's attestation manifest and its in-toto layer), what
// the CLI reports, and that attestation manifests are never a platform.
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectRawManifest } from '../hack/lib/skopeo.ts';
import { runCli } from './harness/cli.ts';
import { COSIGN_VERSIONS, cosign, generateKeyPair, offlineTrustedRoot, verifyWithKey, type CosignBinary, type CosignContext } from './harness/cosign.ts';
import { scratchDir, useBuildkitd, useRegistry } from './harness/index.ts';
import { keylessVerifyFlags, sigstoreFlags, useSigstore } from './harness/sigstore.ts';
import { registryClient } from './harness/random-image.ts';

const registry = useRegistry({ kind: 'oci', auth: true });
const buildkitd = useBuildkitd({ trust: [registry] });

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}
interface Index {
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}
interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

function context(dockerfile: string, files: Record<string, string> = {}): string {
  const dir = scratchDir('prov');
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

function build(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli('kubectl-build', ['--progress', 'plain', ...args], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir, SOURCE_DATE_EPOCH: undefined, ...env },
  });
}

const manifestOf = async (reference: string) => (await inspectRawManifest(registry(), registry().files, reference)) as Index & Manifest;
const platformOf = (d: Descriptor) => (d.platform ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/') : '');
const isAttestation = (d: Descriptor) => d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';

/** The in-toto statements of the attestation manifest that describes `imageDigest` in `index`. */
async function statementsFor(repository: string, index: Index, imageDigest: string): Promise<Array<{ predicateType: string; subject: Array<{ digest: { sha256: string } }> }>> {
  const attestation = index.manifests.find((d) => isAttestation(d) && d.annotations?.['vnd.docker.reference.digest'] === imageDigest);
  if (!attestation) throw new Error(`no attestation manifest for ${imageDigest}`);
  const manifest = await manifestOf(`${repository}@${attestation.digest}`);
  const [, ...path] = repository.split('/');
  return Promise.all(
    manifest.layers.map(async (layer) => JSON.parse((await registryClient(registry()).getBlob(registry().host, path.join('/'), layer.digest)).toString('utf8'))),
  );
}

describe('kubectl build --provenance / --attest', () => {
  it('pushes an index with the image and its SLSA v1 provenance in an attestation manifest', async () => {
    const dir = context('FROM scratch\nCOPY hello.txt /\n', { 'hello.txt': 'hi\n' });
    const repository = `${registry().host}/prov/app`;
    const metadataFile = join(dir, 'metadata.json');
    const result = await build(['-t', `${repository}:1`, '--push', '--provenance', 'mode=max', '--metadata-file', metadataFile, dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);

    const index = await manifestOf(`${repository}:1`);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const [image, attestation, ...rest] = index.manifests;
    expect(rest).toEqual([]);
    expect(platformOf(image as Descriptor)).toBe('linux/amd64');
    expect(attestation?.platform).toEqual({ os: 'unknown', architecture: 'unknown' });
    expect(attestation?.annotations?.['vnd.docker.reference.digest']).toBe(image?.digest);
    const [statement] = await statementsFor(repository, index, image?.digest as string);
    expect(statement?.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement?.subject.map((s) => `sha256:${s.digest.sha256}`)).toEqual([image?.digest]);
    // What the CLI reports is the index, the one thing to pull and sign.
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, { mediaType?: string; digest?: string } | string>;
    expect(metadata['containerimage.digest']).toBe(result.stderr.match(/as (sha256:[0-9a-f]{64})/)?.[1]);
    expect((metadata['containerimage.descriptor'] as { mediaType: string }).mediaType).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('pushes a plain image manifest when no attestation is asked for (no default provenance)', async () => {
    const dir = context('FROM scratch\nCOPY hello.txt /\n', { 'hello.txt': 'plain\n' });
    const tag = `${registry().host}/prov/plain:1`;
    const result = await build(['-t', tag, '--push', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    expect((await manifestOf(tag)).mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  it('refuses a bad value before building, naming the flag and the value', async () => {
    const dir = context('FROM scratch\nCOPY nothing-here /\n');
    const result = await build(['-t', `${registry().host}/prov/bad:1`, '--push', '--attest', 'type=provenance,mode=medium', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/invalid value "type=provenance,mode=medium" for --attest: unknown provenance mode "medium"/);
    expect(result.stderr).not.toMatch(/load build definition/);
  });
});

describe('kubectl build --annotation', () => {
  it('writes index and manifest annotations where buildx puts them', async () => {
    const dir = context('FROM scratch\nCOPY hello.txt /\n', { 'hello.txt': 'annotated\n' });
    const tag = `${registry().host}/prov/annotated:1`;
    const result = await build(['-t', tag, '--push', '--provenance', 'true', '--annotation', 'index:com.example.index=i', '--annotation', 'manifest[linux/amd64]:com.example.manifest=m', '--annotation', 'com.example.plain=p', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const index = await manifestOf(tag);
    expect(index.annotations?.['com.example.index']).toBe('i');
    const image = index.manifests.find((d) => !isAttestation(d)) as Descriptor;
    const manifest = await manifestOf(`${registry().host}/prov/annotated@${image.digest}`);
    expect(manifest.annotations).toMatchObject({ 'com.example.manifest': 'm', 'com.example.plain': 'p' });
  });
});

describe('SOURCE_DATE_EPOCH', () => {
  const dockerfile = 'FROM scratch\nCOPY hello.txt /\n';
  async function buildWithMtime(name: string, mtime: number, env: NodeJS.ProcessEnv): Promise<string> {
    const dir = context(dockerfile, { 'hello.txt': 'same bytes\n' });
    utimesSync(join(dir, 'hello.txt'), mtime, mtime);
    const tag = `${registry().host}/prov/repro:${name}`;
    const result = await build(['-t', tag, '--push', '--no-cache', dir], env);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    return result.stderr.match(/as (sha256:[0-9a-f]{64})/)?.[1] as string;
  }

  it('two builds of the same files with different mtimes give one digest when SOURCE_DATE_EPOCH is set', async () => {
    // rewrite-timestamp clamps: files newer than the epoch get the epoch, older ones keep their time.
    const env = { SOURCE_DATE_EPOCH: '1500000000' };
    const first = await buildWithMtime('a', 1_600_000_000, env);
    const second = await buildWithMtime('b', 1_650_000_000, env);
    expect(first).toMatch(/^sha256:/);
    expect(second).toBe(first);
    // The epoch is the image's creation time.
    const manifest = await manifestOf(`${registry().host}/prov/repro@${first}`);
    const config = JSON.parse((await registryClient(registry()).getBlob(registry().host, 'prov/repro', manifest.config.digest)).toString('utf8')) as { created: string };
    expect(config.created).toBe(new Date(1_500_000_000_000).toISOString().replace('.000Z', 'Z'));
  });

  it('with the epoch but rewrite-timestamp=false, the context mtimes still make two digests (why we turn it on)', async () => {
    const env = { SOURCE_DATE_EPOCH: '1500000000' };
    const digests: Array<string | undefined> = [];
    // One after the other: two identical solves at once would share their work in the daemon.
    for (const [i, name] of ['e', 'f'].entries()) {
      const dir = context(dockerfile, { 'hello.txt': 'same bytes\n' });
      utimesSync(join(dir, 'hello.txt'), 1_600_000_000 + i, 1_600_000_000 + i);
      const result = await build(['-t', `${registry().host}/prov/repro:${name}`, '-o', 'type=registry,rewrite-timestamp=false', '--no-cache', dir], env);
      expect(result.status, result.stderr.slice(-800)).toBe(0);
      digests.push(result.stderr.match(/as (sha256:[0-9a-f]{64})/)?.[1]);
    }
    expect(digests[1]).not.toBe(digests[0]);
  });

  it('without it, the same two builds give two digests (the mtimes and the build time are in the image)', async () => {
    const first = await buildWithMtime('c', 1_600_000_000, {});
    const second = await buildWithMtime('d', 1_650_000_000, {});
    expect(second).not.toBe(first);
  });
});

describe('kubectl build --platform a,b --provenance', () => {
  it('lists each platform image and its attestation manifest; only the images are platforms in the output', async () => {
    const dir = context('FROM scratch\nARG TARGETARCH\nCOPY hello.txt /\n', { 'hello.txt': 'multi\n' });
    const repository = `${registry().host}/prov/multi`;
    const metadataFile = join(dir, 'metadata.json');
    const result = await build(['--platform', 'linux/amd64,linux/arm64', '-t', `${repository}:1`, '--push', '--provenance', 'mode=min', '--metadata-file', metadataFile,
      '--annotation', 'index:com.example.list=l', '--annotation', 'manifest[linux/arm64]:com.example.arm=a', dir]);
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const index = await manifestOf(`${repository}:1`);
    // index: annotations go on the list the CLI assembles; manifest[platform]: on that platform's image only.
    expect(index.annotations).toEqual({ 'com.example.list': 'l' });
    const images = index.manifests.filter((d) => !isAttestation(d));
    expect(images.map(platformOf)).toEqual(['linux/amd64', 'linux/arm64']);
    const attestations = index.manifests.filter(isAttestation);
    expect(attestations.map((d) => [platformOf(d), d.annotations?.['vnd.docker.reference.digest']])).toEqual(images.map((d) => ['unknown/unknown', d.digest]));
    expect(await Promise.all(images.map(async (d) => (await manifestOf(`${repository}@${d.digest}`)).annotations?.['com.example.arm']))).toEqual([undefined, 'a']);
    for (const image of images) {
      const [statement] = await statementsFor(repository, index, image.digest);
      expect(statement?.subject.map((s) => `sha256:${s.digest.sha256}`)).toEqual([image.digest]);
    }
    // The summary names the two platforms and nothing for unknown/unknown.
    const childLines = result.stderr.split('\n').filter((line) => /^ {2}\S+: sha256:/.test(line));
    expect(childLines).toEqual(images.map((d) => `  ${platformOf(d)}: ${d.digest}`));
    expect(result.stderr).not.toMatch(/unknown\/unknown/);
    const metadata = readFileSync(metadataFile, 'utf8');
    expect(JSON.parse(metadata)['containerimage.digest']).toBe(result.stderr.match(/as (sha256:[0-9a-f]{64})/)?.[1]);
    expect(metadata).not.toMatch(/unknown/);
  });
});

describe('kubectl build --provenance --sign', () => {
  const cosignContext = (): CosignContext => ({ dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir });

  /** cosign verify-attestation --type slsaprovenance1 with the key, offline; resolves to the verified statements. */
  async function verifyAttestation(binary: CosignBinary, context: CosignContext, reference: string, publicKey: string) {
    const stdout = await cosign(binary, context, [
      'verify-attestation', '--type', 'slsaprovenance1', '--key', publicKey, '--insecure-ignore-tlog=true', '--trusted-root', offlineTrustedRoot(context), reference,
    ]);
    return stdout.trim().split('\n').map((line) => {
      const envelope = JSON.parse(line) as { payload: string };
      return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { predicateType: string; subject: Array<{ digest: { sha256: string } }>; predicate: { buildDefinition?: { buildType?: string } } };
    });
  }

  it.each(['legacy', 'bundle'] as const)('attests BuildKit\'s provenance (%s layout): cosign v2 and v3 verify-attestation --type slsaprovenance1 accept it', async (format) => {
    const context = cosignContext();
    const keys = await generateKeyPair(context, `prov-${format}`);
    const dir = scratchDir('signed');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /\n');
    writeFileSync(join(dir, 'hello.txt'), `signed ${format}\n`);
    const repository = `${registry().host}/prov/signed-${format}`;
    const result = await build(
      ['-t', `${repository}:1`, '--push', '--provenance', 'mode=max', '--sign', '--signature-format', format, '--tlog-upload=false', '--cosign-key', keys.privateKey, dir],
      { COSIGN_PASSWORD: keys.password },
    );
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const digest = result.stderr.match(/as (sha256:[0-9a-f]{64})/)?.[1] as string;
    expect(result.stderr).toMatch(new RegExp(`sign: signed the https://slsa.dev/provenance/v1 attestation of ${repository}@${digest}`));
    for (const binary of COSIGN_VERSIONS) {
      const statements = await verifyAttestation(binary, context, `${repository}@${digest}`, keys.publicKey);
      expect(statements.map((st) => [st.predicateType, `sha256:${st.subject[0]?.digest.sha256}`])).toEqual([['https://slsa.dev/provenance/v1', digest]]);
      // BuildKit's own predicate, carried over.
      expect(statements[0]?.predicate.buildDefinition?.buildType).toMatch(/buildkit/);
      // The image's own signature is there too. As with cosign's own attest (tried with cosign v3
      // attest --new-bundle-format), cosign verify also counts the attestation's bundle.
      expect(await verifyWithKey(binary, context, `${repository}@${digest}`, keys.publicKey)).toHaveLength(format === 'bundle' ? 2 : 1);
    }
    // kubectl trust verify lists the attestation with its predicate type, checked with the key.
    const verified = await runCli('kubectl-trust', ['verify', `${repository}@${digest}`, '--key', keys.publicKey, '--insecure-ignore-tlog', '-o', 'json'], {
      env: { DOCKER_CONFIG: registry().files.dockerConfigDir },
    });
    expect(verified.status, verified.stderr).toBe(0);
    const [report] = (JSON.parse(verified.stdout) as { images: Array<{ attestations?: Array<{ format: string; predicateType: string; valid: boolean; signer?: { kind: string } }> }> }).images;
    expect(report?.attestations?.map((a) => [a.format, a.predicateType, a.valid, a.signer?.kind])).toEqual([[format, 'https://slsa.dev/provenance/v1', true, 'key']]);
    const table = await runCli('kubectl-trust', ['verify', `${repository}@${digest}`, '--key', keys.publicKey, '--insecure-ignore-tlog'], { env: { DOCKER_CONFIG: registry().files.dockerConfigDir } });
    expect(table.stdout).toMatch(new RegExp(`^ +${format} +https://slsa.dev/provenance/v1 +key \\S+ \\(\\S+\\) +valid$`, 'm'));
  });

  it('with --sign-recursive signs and attests each platform image, and never the attestation manifests', async () => {
    const context = cosignContext();
    const keys = await generateKeyPair(context, 'prov-recursive');
    const dir = scratchDir('recursive');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /\n');
    writeFileSync(join(dir, 'hello.txt'), 'recursive\n');
    const repository = `${registry().host}/prov/recursive`;
    const result = await build(
      ['--platform', 'linux/amd64,linux/arm64', '-t', `${repository}:1`, '--push', '--provenance', 'mode=min', '--sign', '--sign-recursive', '--signature-format', 'legacy', '--tlog-upload=false', '--cosign-key', keys.privateKey, dir],
      { COSIGN_PASSWORD: keys.password },
    );
    expect(result.status, result.stderr.slice(-800)).toBe(0);
    const index = await manifestOf(`${repository}:1`);
    const images = index.manifests.filter((d) => !isAttestation(d));
    const attestations = index.manifests.filter(isAttestation);
    expect(images).toHaveLength(2);
    expect(attestations).toHaveLength(2);
    const signedDigests = [...result.stderr.matchAll(/sign: signed (\S+)@(sha256:[0-9a-f]{64})/g)].map((m) => m[2]);
    expect(new Set(signedDigests)).toEqual(new Set([result.stderr.match(/as (sha256:[0-9a-f]{64})/)?.[1], ...images.map((d) => d.digest)]));
    for (const image of images) {
      const statements = await verifyAttestation('cosign-v3', context, `${repository}@${image.digest}`, keys.publicKey);
      expect(statements.map((st) => `sha256:${st.subject[0]?.digest.sha256}`)).toEqual([image.digest]);
    }
    // No .sig or .att tag for an attestation manifest: 404, told apart from a registry that cannot answer.
    const client = registryClient(registry());
    for (const attestation of attestations) {
      for (const suffix of ['sig', 'att']) {
        expect(await client.getManifest(registry().host, 'prov/recursive', `${attestation.digest.replace(':', '-')}.${suffix}`)).toBeUndefined();
      }
    }
    expect(await client.getManifest(registry().host, 'prov/recursive', `${images[0]?.digest.replace(':', '-')}.att`)).toBeDefined();

    // kubectl trust verify, asked to check every platform image, checks the two images only.
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, `apiVersion: kubectl-build.dev/v1alpha1\nkind: SignerPolicy\nsigners:\n  - name: ci\n    key: ${keys.publicKey}\nrules:\n  - images: ["**"]\n    require: { all: [ci] }\n    transparencyLog: optional\n    platforms: true\n`);
    const verified = await runCli('kubectl-trust', ['verify', `${repository}:1`, '--policy', policy, '-o', 'json'], { env: { DOCKER_CONFIG: registry().files.dockerConfigDir } });
    expect(verified.status, verified.stderr).toBe(0);
    const report = JSON.parse(verified.stdout) as { images: Array<{ verdict: { outcome: string }; platforms: Array<{ digest: string; platform: string; verdict: { outcome: string } }> }> };
    expect(report.images[0]?.platforms.map((p) => [p.platform, p.digest, p.verdict.outcome])).toEqual(images.map((d) => [platformOf(d), d.digest, 'pass']));
  });
});

describe('kubectl build --provenance --sign, keyless (Fulcio and Rekor on loopback)', () => {
  const sigstore = useSigstore();

  // cosign v2 verify-attestation takes --trusted-root only for bundles: for the legacy layout it
  // reads Fulcio's chain and Rekor's key from the environment, as cosign documents for private Sigstores.
  const legacyV2 = (binary: CosignBinary, format: string) => binary === 'cosign-v2' && format === 'legacy';
  async function keylessContext(binary: CosignBinary, format: string): Promise<CosignContext> {
    const context = { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
    if (!legacyV2(binary, format)) return context;
    const rekorKey = join(context.dir, 'rekor.pub');
    writeFileSync(rekorKey, await (await fetch(`${sigstore().rekorUrl}/api/v1/log/publicKey`)).text());
    return { ...context, env: { SIGSTORE_ROOT_FILE: sigstore().fulcioChainPath, SIGSTORE_REKOR_PUBLIC_KEY: rekorKey } };
  }
  function keylessFlags(binary: CosignBinary, format: string): string[] {
    if (!legacyV2(binary, format)) return keylessVerifyFlags(sigstore());
    return ['--certificate-identity', sigstore().identity, '--certificate-oidc-issuer', sigstore().issuerUrl, '--insecure-ignore-sct'];
  }

  it.each(['legacy', 'bundle'] as const)('records the attestation in Rekor with its certificate (%s layout); cosign v2 and v3 verify-attestation accept it', async (format) => {
    const dir = scratchDir('keyless');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /\n');
    writeFileSync(join(dir, 'hello.txt'), `keyless ${format}\n`);
    const repository = `${registry().host}/prov/keyless-${format}`;
    const result = await build(['-t', `${repository}:1`, '--push', '--provenance', 'mode=min', '--sign', '--signature-format', format, ...sigstoreFlags(sigstore()), dir], {
      SIGSTORE_ID_TOKEN: await sigstore().token(),
    });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(result.stderr).toMatch(/sign: recorded the attestation in the transparency log \S+ as entry \d+/);
    const digest = result.stderr.match(/as (sha256:[0-9a-f]{64})/)?.[1] as string;
    for (const binary of COSIGN_VERSIONS) {
      const stdout = await cosign(binary, await keylessContext(binary, format), ['verify-attestation', '--type', 'slsaprovenance1', ...keylessFlags(binary, format), `${repository}@${digest}`]);
      const predicateTypes = stdout.trim().split('\n').map((line) => (JSON.parse(Buffer.from((JSON.parse(line) as { payload: string }).payload, 'base64').toString('utf8')) as { predicateType: string }).predicateType);
      expect(predicateTypes.length).toBeGreaterThan(0);
      expect(new Set(predicateTypes)).toEqual(new Set(['https://slsa.dev/provenance/v1']));
    }
    // kubectl trust verify checks it as cosign does: the certificate, and the log entry.
    const verified = await runCli('kubectl-trust', ['verify', `${repository}@${digest}`, ...keylessVerifyFlags(sigstore()), '-o', 'json'], {
      env: { DOCKER_CONFIG: registry().files.dockerConfigDir },
    });
    expect(verified.status, verified.stderr).toBe(0);
    const [report] = (JSON.parse(verified.stdout) as { images: Array<{ attestations?: Array<{ format: string; predicateType: string; valid: boolean; signer?: { identity?: string }; log?: unknown }> }> }).images;
    expect(report?.attestations?.map((a) => [a.format, a.predicateType, a.valid, a.signer?.identity, a.log !== undefined])).toEqual([[format, 'https://slsa.dev/provenance/v1', true, sigstore().identity, true]]);
  });
});
