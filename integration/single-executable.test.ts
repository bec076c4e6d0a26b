// The single executable (make release, for this machine's platform) as a CI job runs it. Every CLI
// call here goes through it (KUBECTL_BUILD_TEST_EXECUTABLE=sea: integration/harness/cli.ts starts it
// under each plugin's name): build and push; sign with a key, and keylessly with the CI's own OIDC
// token, asked from a stand-in for GitHub Actions' token endpoint on 127.0.0.1; verify with cosign v2
// and v3 and with kubectl trust; and the usage errors.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, singleExecutable } from './harness/cli.ts';
import { COSIGN_VERSIONS, cosign, generateKeyPair, type CosignContext } from './harness/cosign.ts';
import { gitHubTokenEndpoint } from './harness/github-actions.ts';
import { scratchDir, useBuildkitd, useRegistry } from './harness/index.ts';
import { registryClient } from './harness/random-image.ts';
import { keylessVerifyFlags, sigstoreFlags, useSigstore } from './harness/sigstore.ts';

const run = promisify(execFile);

process.env.KUBECTL_BUILD_TEST_EXECUTABLE = 'sea';
afterAll(() => void delete process.env.KUBECTL_BUILD_TEST_EXECUTABLE);

const registry = useRegistry({ kind: 'oci', auth: true, seed: true });
const buildkitd = useBuildkitd({ trust: [registry] });
const sigstore = useSigstore();

const NO_IDENTITY = { SIGSTORE_ID_TOKEN: undefined, COSIGN_EXPERIMENTAL: undefined };

function cosignContext(): CosignContext {
  return { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
}

/** kubectl build --push --sign of a small context through the executable; the image by digest. */
async function buildAndSign(repository: string, args: string[], env: NodeJS.ProcessEnv) {
  const dir = scratchDir('context');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo ${repository}-${Math.random()} > /marker\n`);
  const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', `${registry().host}/${repository}:1`, '--push', '--sign', ...args, dir], {
    env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir, ...NO_IDENTITY, ...env },
  });
  const digest = /pushed \S+ as (sha256:[0-9a-f]{64})/.exec(result.stderr)?.[1];
  return { result, image: `${registry().host}/${repository}@${digest}` };
}

describe('the single executable builds, pushes and signs', () => {
  it('with a cosign key, logged in Rekor, in both layouts; cosign v2 and v3 and kubectl trust verify it', async () => {
    const keys = await generateKeyPair(cosignContext(), 'release');
    const { result, image } = await buildAndSign('sea/keyed', ['--signature-format', 'both', '--cosign-key', keys.privateKey, '--rekor-url', sigstore().rekorUrl], { COSIGN_PASSWORD: keys.password });
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(result.stderr.match(/sign: recorded the (signature|bundle) in the transparency log \S+ as entry \d+/g)).toHaveLength(2);
    for (const binary of COSIGN_VERSIONS) {
      const verified = await cosign(binary, cosignContext(), ['verify', '--key', keys.publicKey, '--trusted-root', sigstore().trustedRootPath, image]);
      expect(JSON.parse(verified)).not.toHaveLength(0);
    }
    const trust = await runCli('kubectl-trust', ['verify', '--key', keys.publicKey, '--trusted-root', sigstore().trustedRootPath, image], { env: { DOCKER_CONFIG: registry().files.dockerConfigDir } });
    expect(trust.status, trust.stderr).toBe(0);
  });

  it("keylessly with a GitHub Actions job's own token, asked for the audience sigstore; cosign v2 and v3 verify identity and issuer", async () => {
    const token = await sigstore().token();
    const endpoint = await gitHubTokenEndpoint(async (audience) => ({ status: 200, body: { value: audience === sigstore().clientId ? token : 'wrong-audience', count: 1 } }));
    try {
      const { result, image } = await buildAndSign('sea/keyless', ['--signature-format', 'both', ...sigstoreFlags(sigstore())], endpoint.env);
      expect(result.status, result.stderr.slice(-1500)).toBe(0);
      expect(result.stderr).toContain(`sign: logged in as ${sigstore().identity} with the token from GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL)`);
      expect(endpoint.audiences).toEqual([sigstore().clientId]);
      for (const secret of [token, endpoint.bearer]) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
      for (const binary of COSIGN_VERSIONS) {
        expect(JSON.parse(await cosign(binary, cosignContext(), ['verify', ...keylessVerifyFlags(sigstore()), image]))).not.toHaveLength(0);
      }
    } finally {
      await endpoint.close();
    }
  });

  it('a GitHub Actions job without the id-token permission: one sentence before anything is built', async () => {
    const endpoint = await gitHubTokenEndpoint(async () => ({ status: 403, body: { message: 'Resource not accessible by integration' } }));
    try {
      const { result } = await buildAndSign('sea/no-permission', sigstoreFlags(sigstore()), endpoint.env);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        'error: GitHub Actions gave no OIDC token for the audience "sigstore" (HTTP 403)\n' +
          'hint: give the job `permissions: id-token: write`, or pass a token with --identity-token (or SIGSTORE_ID_TOKEN)\n',
      );
      expect(endpoint.audiences).toEqual([sigstore().clientId]);
      // In the registry: nothing pushed (a 404; getManifest throws when the registry cannot be asked).
      expect(await registryClient(registry()).getManifest(registry().host, 'sea/no-permission', '1')).toBeUndefined();
    } finally {
      await endpoint.close();
    }
  });
});

describe('the single executable alone', () => {
  it('builds and pushes with no file beside it: the BuildKit .proto definitions are inside', async () => {
    // A copy in an empty folder, run from another empty folder with an empty PATH: nothing of
    // dist/ within reach, no Node, no kubectl.
    const copy = join(scratchDir('alone'), 'kubectl-build');
    copyFileSync(singleExecutable(), copy);
    chmodSync(copy, 0o755);
    const context = scratchDir('context');
    writeFileSync(join(context, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN echo alone-${Math.random()} > /marker\n`);
    const tag = `${registry().host}/sea/alone:1`;
    const result = await run(copy, ['--progress', 'plain', '-t', tag, '--push', context], {
      cwd: scratchDir('elsewhere'),
      env: { PATH: scratchDir('empty-path'), BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: registry().files.dockerConfigDir },
      timeout: 240_000,
    }).catch((error: { stderr?: string }) => expect.fail(error.stderr ?? String(error)));
    const digest = /pushed \S+ as (sha256:[0-9a-f]{64})/.exec(result.stderr)?.[1];
    expect(digest, result.stderr.slice(-1500)).toBeDefined();
    // In the registry: the tag names the digest the executable reported.
    expect((await registryClient(registry()).getManifest(registry().host, 'sea/alone', '1'))?.digest).toBe(digest);
  });
});

describe('usage errors through the single executable: exit 2, one sentence and a hint, no stack trace', () => {
  it.each([
    ['kubectl-build', ['--no-such-flag'], 'Unknown argument: no-such-flag', 'run "kubectl build --help" for usage'],
    ['kubectl-build', ['--no-such-flag', '--other=1'], 'Unknown arguments: no-such-flag, other', 'run "kubectl build --help" for usage'],
    ['kubectl-build', ['-t', 'app:1', '--no-such-flag', '.'], 'Unknown argument: no-such-flag', 'run "kubectl build --help" for usage'],
    ['kubectl-build', ['--sign', '-t', 'app:1', '.'], '--sign needs --push: only a pushed image has a digest to sign', 'add --push and -t REGISTRY/IMAGE:TAG'],
    ['kubectl-buildkit', [], 'Not enough non-option arguments: got 0, need at least 1', 'run "kubectl buildkit --help" for usage'],
    ['kubectl-buildkit', ['--no-such-flag'], 'Not enough non-option arguments: got 0, need at least 1', 'run "kubectl buildkit --help" for usage'],
    ['kubectl-buildkit', ['destroy'], 'Unknown argument: destroy', 'run "kubectl buildkit --help" for usage'],
    ['kubectl-trust', ['verify', '--no-such-flag', 'app:1'], 'Unknown argument: no-such-flag', 'run "kubectl trust --help" for usage'],
  ] as const)('%s %j', async (executable, args, message, hint) => {
    const result = await runCli(executable, args, { env: { BUILDKIT_HOST: 'tcp://127.0.0.1:1' } });
    expect({ status: result.status, stderr: result.stderr, stdout: result.stdout }).toEqual({ status: 2, stderr: `error: ${message}\nhint: ${hint}\n`, stdout: '' });
  });
});
