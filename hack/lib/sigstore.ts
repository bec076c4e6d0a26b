// A private Sigstore on 127.0.0.1 for keyless signing tests and the demo: our OIDC issuer, Fulcio
// (ephemeral CA) with a CT log for its SCTs, and Rekor v1; the CT log and Rekor on Trillian over
// MariaDB. Writes the trusted root (cosign --trusted-root, sigstore-js) and the signing config
// (cosign v3 --signing-config) for them. Every process is ours, logged in `dir`, stopped by PID.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCtLog } from './ctlog.ts';
import { startFulcio } from './fulcio.ts';
import { startMariadb } from './mariadb.ts';
import { freePort } from './net.ts';
import { MINT_PATH, type MintRequest } from './oidc-issuer.ts';
import { logTail, readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';
import { startRekor } from './rekor.ts';
import { startTrillian } from './trillian.ts';
import { signingConfig, trustedRoot } from './trusted-root.ts';

export interface SigstoreServices {
  readonly fulcioUrl: string; // http://127.0.0.1:PORT ('' when started without Fulcio)
  readonly rekorUrl: string; // http://127.0.0.1:PORT ('' when started without Rekor)
  readonly issuerUrl: string; // our OIDC issuer, http://127.0.0.1:PORT
  readonly clientId: string; // 'sigstore'
  readonly identity: string; // the test identity's email / subject that lands in the certificate
  readonly trustedRootPath: string; // trusted_root.json for `cosign verify --trusted-root` and sigstore-js
  readonly signingConfigPath?: string; // signing_config.json for cosign v3 `sign --signing-config`
  /** The CT log Fulcio submits to, with its prefix ('' without Fulcio). */
  readonly ctLogUrl: string;
  /** Fulcio's CA chain as PEM (for tools that take --certificate-chain rather than a trusted root). */
  readonly fulcioChainPath?: string;
  /** Mints an ID token for the test identity (audience 'sigstore' by default). */
  token(options?: { audience?: string; expiresInSeconds?: number; subject?: string; emailVerified?: boolean }): Promise<string>;
  /** Plays the browser: follows an authorization URL (code flow with PKCE) and lets the issuer
   *  redirect to its redirect_uri, as a user logging in would. */
  completeLogin(authorizationUrl: string): Promise<void>;
  readonly processes: readonly ServiceProcess[];
}

export interface SigstoreOptions {
  /** Start Rekor (default true). */
  readonly rekor?: boolean;
  /** Start Fulcio and its CT log (default true). */
  readonly fulcio?: boolean;
  /** Keep the processes running after this Node process exits (the local stack). */
  readonly detached?: boolean;
}

export const CLIENT_ID = 'sigstore';
export const TEST_IDENTITY = 'tester@kubectl-build.example.com';

export async function startSigstore(dir: string, track: (p: ServiceProcess) => void, options: SigstoreOptions = {}): Promise<SigstoreServices> {
  mkdirSync(dir, { recursive: true });
  const processes: ServiceProcess[] = [];
  const keep = (service: ServiceProcess): void => {
    processes.push(service);
    track(service);
  };
  const validFrom = new Date(Date.now() - 60_000);
  const detached = options.detached ?? false;
  const issuerUrl = await startIssuer(dir, keep, detached);

  let fulcio: Awaited<ReturnType<typeof startFulcio>> | undefined;
  let ctLog: Awaited<ReturnType<typeof startCtLog>> | undefined;
  let rekor: Awaited<ReturnType<typeof startRekor>> | undefined;
  if (options.fulcio !== false || options.rekor !== false) {
    const db = await startMariadb(join(dir, 'mariadb'), { detached });
    keep(db.process);
    const trillian = await startTrillian(dir, db, keep, { detached });
    const startCt = async () => {
      // Fulcio is told the CT log's URL up front; the log starts once Fulcio's root (its only
      // accepted root) exists, and Fulcio reaches it only when it issues a certificate.
      const ctAddress = `127.0.0.1:${await freePort()}`;
      fulcio = await startFulcio(dir, { issuerUrl, clientId: CLIENT_ID, ctLogUrl: `http://${ctAddress}/kubectl-build`, detached });
      keep(fulcio.process);
      ctLog = await startCtLog(dir, { trillian, rootsFile: fulcio.chainFile, address: ctAddress, detached });
      keep(ctLog.process);
    };
    const startLog = async () => {
      rekor = await startRekor(dir, trillian, db, { detached });
      keep(rekor.process);
    };
    // Both halves settle before a failure is thrown, so that every process they started is tracked.
    const results = await Promise.allSettled([options.fulcio === false ? undefined : startCt(), options.rekor === false ? undefined : startLog()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  const trustedRootPath = join(dir, 'trusted_root.json');
  writeFileSync(trustedRootPath, `${JSON.stringify(trustedRoot({ fulcio, rekor, ctLog, validFrom }), null, 2)}\n`);
  const signingConfigPath = join(dir, 'signing_config.json');
  writeFileSync(signingConfigPath, `${JSON.stringify(signingConfig({ fulcioUrl: fulcio?.url, rekorUrl: rekor?.url, issuerUrl, validFrom }), null, 2)}\n`);

  return {
    fulcioUrl: fulcio?.url ?? '',
    rekorUrl: rekor?.url ?? '',
    issuerUrl,
    clientId: CLIENT_ID,
    identity: TEST_IDENTITY,
    trustedRootPath,
    signingConfigPath,
    ctLogUrl: ctLog?.url ?? '',
    ...(fulcio ? { fulcioChainPath: fulcio.chainFile } : {}),
    token: (request) => mintToken(issuerUrl, request),
    completeLogin: (url) => completeLogin(issuerUrl, url),
    processes,
  };
}

async function startIssuer(dir: string, keep: (service: ServiceProcess) => void, detached: boolean): Promise<string> {
  const logFile = join(dir, 'oidc-issuer.log');
  const service = startProcess({
    name: 'oidc-issuer',
    command: process.execPath,
    args: [fileURLToPath(new URL('../oidc-issuer.ts', import.meta.url)), '--client-id', CLIENT_ID, '--identity', TEST_IDENTITY],
    logFile,
    detached,
  });
  keep(service);
  return readyOrStop(service, () =>
    waitUntil(async () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(logTail(logFile, 5))?.[1], {
      what: 'the OIDC issuer to report its URL',
      process: service,
      timeoutMs: 15_000,
    }),
  );
}

async function mintToken(issuerUrl: string, request: MintRequest = {}): Promise<string> {
  const res = await fetch(`${issuerUrl}${MINT_PATH}`, { method: 'POST', body: JSON.stringify(request) });
  const body = (await res.json()) as { id_token?: string; error_description?: string };
  if (!res.ok || !body.id_token) throw new Error(`the OIDC issuer minted no token: ${res.status} ${body.error_description ?? ''}`);
  return body.id_token;
}

/** The browser's part of a login: the issuer approves at once and redirects to the client's callback. */
async function completeLogin(issuerUrl: string, authorizationUrl: string): Promise<void> {
  if (!authorizationUrl.startsWith(`${issuerUrl}/`)) throw new Error(`${authorizationUrl} is not on the test issuer ${issuerUrl}`);
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`the OIDC issuer refused the login: ${res.status} ${await res.text()}`);
  const callback = await fetch(location);
  const page = await callback.text();
  if (callback.status >= 400) throw new Error(`the login callback ${location} answered ${callback.status}: ${page.slice(0, 200)}`);
}
