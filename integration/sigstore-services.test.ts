// The local Sigstore (our OIDC issuer, Fulcio with a CT log, Rekor v1) works end to end: the real
// cosign v2 and v3 sign keyless against it with a token from our issuer, in both signature layouts,
// and both verify the result against the trusted root we write, SCTs and transparency log included.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BASE_IMAGE_REPOSITORY } from '../hack/lib/seed.ts';
import { skopeo, skopeoRegistryFlags } from '../hack/lib/skopeo.ts';
import { COSIGN_VERSIONS, cosign, type CosignBinary, type CosignContext } from './harness/cosign.ts';
import { scratchDir, useRegistry } from './harness/index.ts';
import { useSigstore } from './harness/sigstore.ts';

const registry = useRegistry({ kind: 'oci', seed: true });
const sigstore = useSigstore();

/** A copy of the base image in a repository of its own (signatures live per repository). */
async function imageIn(repository: string): Promise<string> {
  const { host, files } = registry();
  const digestFile = `${scratchDir('digest')}/digest`;
  await skopeo([
    'copy', '--quiet', ...skopeoRegistryFlags(registry(), files, 'src'), ...skopeoRegistryFlags(registry(), files, 'dest'),
    '--digestfile', digestFile, `docker://${host}/${BASE_IMAGE_REPOSITORY}:latest`, `docker://${host}/${repository}:1`,
  ]);
  return `${host}/${repository}@${readFileSync(digestFile, 'utf8').trim()}`;
}

function context(): CosignContext {
  return { dir: scratchDir('cosign'), dockerConfigDir: registry().files.dockerConfigDir };
}

/** cosign takes --identity-token as a token or a file; a token longer than a file name only as a file. */
async function tokenFile(options?: Parameters<ReturnType<typeof sigstore>['token']>[0]): Promise<string> {
  const file = `${scratchDir('token')}/id-token`;
  writeFileSync(file, await sigstore().token(options), { mode: 0o600 });
  return file;
}

function verifyArgs(identity = sigstore().identity): string[] {
  const s = sigstore();
  return ['verify', '--certificate-identity', identity, '--certificate-oidc-issuer', s.issuerUrl, '--trusted-root', s.trustedRootPath];
}

async function verifyKeyless(binary: CosignBinary, image: string): Promise<Array<{ optional?: Record<string, unknown> }>> {
  return JSON.parse(await cosign(binary, context(), [...verifyArgs(), image])) as Array<{ optional?: Record<string, unknown> }>;
}

describe('local Sigstore services', () => {
  it('serves OIDC discovery that names our issuer, and a trusted root with Fulcio, Rekor and the CT log', async () => {
    const s = sigstore();
    const discovery = (await (await fetch(`${s.issuerUrl}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(discovery.issuer).toBe(s.issuerUrl);
    const root = JSON.parse(readFileSync(s.trustedRootPath, 'utf8'));
    expect(root.certificateAuthorities.map((ca: { uri: string }) => ca.uri)).toEqual([s.fulcioUrl]);
    expect(root.tlogs.map((log: { baseUrl: string }) => log.baseUrl)).toEqual([s.rekorUrl]);
    expect(root.ctlogs.map((log: { baseUrl: string }) => log.baseUrl)).toEqual([s.ctLogUrl]);
  });

  it('cosign v2 signs keyless in the legacy .sig layout; cosign v2 and v3 verify it with SCT and tlog', async () => {
    const s = sigstore();
    const image = await imageIn('keyless/legacy');
    await cosign('cosign-v2', context(), [
      'sign', '--yes', '--fulcio-url', s.fulcioUrl, '--rekor-url', s.rekorUrl, '--identity-token', await tokenFile(),
      '--trusted-root', s.trustedRootPath, image,
    ]);
    for (const binary of COSIGN_VERSIONS) {
      const verified = await verifyKeyless(binary, image);
      expect(verified, binary).toHaveLength(1);
      expect(verified[0]?.optional, binary).toMatchObject({ Subject: s.identity, Issuer: s.issuerUrl });
    }
    // The SCT and the tlog entry are checked, not skipped: without the CT log's or Rekor's key, no pass.
    const root = JSON.parse(readFileSync(s.trustedRootPath, 'utf8'));
    for (const [part, pattern] of [['ctlogs', /verify 0 SCT entries/], ['tlogs', /rekor log public key not found/]] as const) {
      const partial = `${scratchDir('root')}/trusted_root.json`;
      writeFileSync(partial, JSON.stringify({ ...root, [part]: [] }));
      for (const binary of COSIGN_VERSIONS) {
        const args = ['verify', '--certificate-identity', s.identity, '--certificate-oidc-issuer', s.issuerUrl, '--trusted-root', partial, image];
        await expect(cosign(binary, context(), args), `${binary} without ${part}`).rejects.toThrow(pattern);
      }
    }
  });

  it('cosign v3 signs keyless as a Sigstore bundle through the signing config; cosign v2 and v3 verify it', async () => {
    const s = sigstore();
    const image = await imageIn('keyless/bundle');
    await cosign('cosign-v3', context(), [
      'sign', '--yes', '--signing-config', s.signingConfigPath as string, '--trusted-root', s.trustedRootPath,
      '--identity-token', await tokenFile(), image,
    ]);
    for (const binary of COSIGN_VERSIONS) {
      expect(await verifyKeyless(binary, image), binary).not.toHaveLength(0);
    }
  });

  it('cosign refuses the signature for another identity, and Fulcio refuses an unverified email', async () => {
    const s = sigstore();
    const image = await imageIn('keyless/identity');
    await cosign('cosign-v3', context(), [
      'sign', '--yes', '--signing-config', s.signingConfigPath as string, '--trusted-root', s.trustedRootPath,
      '--identity-token', await tokenFile({ subject: 'someone-else@kubectl-build.example.com' }), image,
    ]);
    await expect(cosign('cosign-v3', context(), [...verifyArgs(), image])).rejects.toThrow(/none of the expected identities matched|no matching|identity/i);
    expect(JSON.parse(await cosign('cosign-v3', context(), [...verifyArgs('someone-else@kubectl-build.example.com'), image]))).toHaveLength(1);

    await expect(
      cosign('cosign-v3', context(), [
        'sign', '--yes', '--signing-config', s.signingConfigPath as string, '--trusted-root', s.trustedRootPath,
        '--identity-token', await tokenFile({ emailVerified: false }), await imageIn('keyless/unverified'),
      ]),
    ).rejects.toThrow(/not verified by identity provider/);
  });

  it('plays the browser for the code flow with PKCE: the client callback gets a code the issuer exchanges', async () => {
    const s = sigstore();
    // The CLI's side: a callback server on loopback, as the sigstore clients run one.
    let resolveQuery: (query: URLSearchParams) => void = () => {};
    const received = new Promise<URLSearchParams>((resolve) => (resolveQuery = resolve));
    const callback = createServer((req, res) => {
      resolveQuery(new URL(req.url ?? '/', 'http://localhost').searchParams);
      res.end('logged in, you may close this window');
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    try {
      const redirectUri = `http://localhost:${(callback.address() as AddressInfo).port}/auth/callback`;
      const verifier = randomBytes(32).toString('base64url');
      const url = new URL(`${s.issuerUrl}/authorize`);
      const params = {
        response_type: 'code', client_id: s.clientId, redirect_uri: redirectUri, scope: 'openid email', state: 'st', nonce: 'nc',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);

      await s.completeLogin(url.toString());
      const query = await received;
      expect(query.get('state')).toBe('st');
      const res = await fetch(`${s.issuerUrl}/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', code: query.get('code') ?? '', redirect_uri: redirectUri, client_id: s.clientId, code_verifier: verifier }),
      });
      expect(res.status).toBe(200);
      const { id_token: idToken } = (await res.json()) as { id_token: string };
      const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
      expect(claims).toMatchObject({ iss: s.issuerUrl, email: s.identity, nonce: 'nc', aud: s.clientId });
    } finally {
      callback.close();
    }
  });
});
