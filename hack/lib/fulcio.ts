// Fulcio on 127.0.0.1 with an ephemeral CA (a fresh root per start, read back from its API), trusting
// our OIDC issuer as an email issuer, and submitting precertificates to our CT log for SCTs.
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet } from './http.ts';
import { freePort } from './net.ts';
import { tool } from './paths.ts';
import { readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';

export interface Fulcio {
  readonly url: string;
  /** The CA chain, leaf-most first (with the ephemeral CA: the root alone). */
  readonly chain: readonly X509Certificate[];
  /** The same chain as a PEM file. */
  readonly chainFile: string;
  readonly process: ServiceProcess;
}

export interface FulcioOptions {
  readonly issuerUrl: string;
  readonly clientId: string;
  /** --ct-log-url (with the log's prefix); empty: no CT log, certificates without SCTs. */
  readonly ctLogUrl: string;
  readonly detached?: boolean;
}

export async function startFulcio(dir: string, options: FulcioOptions): Promise<Fulcio> {
  const configFile = join(dir, 'fulcio-config.json');
  const issuer = { IssuerURL: options.issuerUrl, ClientID: options.clientId, Type: 'email' };
  writeFileSync(configFile, JSON.stringify({ OIDCIssuers: { [options.issuerUrl]: issuer } }, null, 2));
  const port = await freePort();
  const service = startProcess({
    name: 'fulcio',
    command: tool('fulcio'),
    args: [
      'serve', '--ca=ephemeralca', `--config-path=${configFile}`, `--ct-log-url=${options.ctLogUrl}`,
      // HTTP and gRPC on ports of their own (fulcio v1.8.8's one-port "duplex" mode panics registering
      // its metrics twice), the legacy gRPC socket in our folder, metrics on any free port.
      '--host=127.0.0.1', `--port=${port}`, '--grpc-host=127.0.0.1', `--grpc-port=${await freePort()}`,
      `--legacy-unix-domain-socket=${join(dir, 'fulcio-legacy.sock')}`, '--metrics-port=0',
    ],
    logFile: join(dir, 'fulcio.log'),
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${port}`;
  const pem = await readyOrStop(service, () =>
    waitUntil(
      async () => {
        const res = await httpGet(`${url}/api/v1/rootCert`);
        return res.status === 200 && res.body.includes('BEGIN CERTIFICATE') ? res.body : undefined;
      },
      { what: `fulcio to answer ${url}/api/v1/rootCert`, process: service, timeoutMs: 30_000 },
    ),
  );
  const chainFile = join(dir, 'fulcio-chain.pem');
  writeFileSync(chainFile, pem);
  return { url, chain: splitPem(pem).map((block) => new X509Certificate(block)), chainFile, process: service };
}

function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
