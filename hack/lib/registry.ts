// OCI registries on 127.0.0.1: Debian's docker-registry (distribution 2.8, no referrers API) and our
// oci-registry (go-containerregistry, with the OCI 1.1 referrers API); each with or without basic
// auth and with or without TLS.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet } from './http.ts';
import { freePort } from './net.ts';
import { tool } from './paths.ts';
import { logTail, readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';
import { createCertificateAuthority, createServerCertificate } from './tls.ts';

export type RegistryKind = 'distribution' | 'oci';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface RegistryOptions {
  readonly kind: RegistryKind;
  /** A folder of its own for config, storage, certificates and the log. */
  readonly dir: string;
  /** Require these credentials (basic auth, as distribution's htpasswd mode does). */
  readonly auth?: RegistryCredentials;
  /** Serve HTTPS with a certificate from a fresh CA (its file is Registry.caFile). */
  readonly tls?: boolean;
  readonly detached?: boolean;
  /** oci only: refuse manifest writes to tags matching this regular expression (403). */
  readonly denyTags?: string;
  /** Address to listen on (default 127.0.0.1); the cluster suite uses the node's bridge address, which pods reach. */
  readonly listenAddress?: string;
}

export interface Registry {
  readonly kind: RegistryKind;
  /** host:port, as it appears in image references. */
  readonly host: string;
  readonly url: string;
  readonly referrers: boolean;
  readonly auth?: RegistryCredentials;
  readonly caFile?: string;
  readonly process: ServiceProcess;
}

export async function startRegistry(options: RegistryOptions): Promise<Registry> {
  mkdirSync(options.dir, { recursive: true });
  const logFile = join(options.dir, `${options.kind}-registry.log`);
  const cert = options.tls ? createServerCertificate(createCertificateAuthority(options.dir), options.dir) : undefined;
  const scheme = cert ? 'https' : 'http';

  const address = options.listenAddress ?? '127.0.0.1';
  let host: string;
  let service: ServiceProcess;
  if (options.kind === 'distribution') {
    host = `${address}:${await freePort(address)}`;
    const config = {
      version: 0.1,
      log: { level: 'info', accesslog: { disabled: false } },
      storage: { filesystem: { rootdirectory: join(options.dir, 'data') }, delete: { enabled: true } },
      http: {
        addr: host,
        secret: randomBytes(16).toString('hex'),
        ...(cert ? { tls: { certificate: cert.certFile, key: cert.keyFile } } : {}),
      },
      ...(options.auth ? { auth: { htpasswd: { realm: 'kubectl-build', path: writeHtpasswd(options.dir, options.auth) } } } : {}),
    };
    // JSON is YAML: distribution reads it as its config file.
    const configFile = join(options.dir, 'config.yml');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    service = startProcess({
      name: 'docker-registry',
      command: tool('docker-registry'),
      args: ['serve', configFile],
      logFile,
      detached: options.detached,
    });
  } else {
    const args = ['-addr', `${address}:0`];
    const env = { ...process.env };
    if (options.auth) {
      args.push('-user', options.auth.username, '-password-env', 'OCI_REGISTRY_PASSWORD');
      env.OCI_REGISTRY_PASSWORD = options.auth.password;
    }
    if (cert) args.push('-tls-cert', cert.certFile, '-tls-key', cert.keyFile);
    if (options.denyTags) args.push('-deny-tags', options.denyTags);
    service = startProcess({ name: 'oci-registry', command: tool('oci-registry'), args, env, logFile, detached: options.detached });
    host = await readyOrStop(service, () =>
      waitUntil(async () => /listening on ([\d.]+:\d+)/.exec(logTail(logFile, 5))?.[1], {
        what: 'oci-registry to report its port',
        process: service,
        timeoutMs: 15_000,
      }),
    );
  }

  const registry: Registry = {
    kind: options.kind,
    host,
    url: `${scheme}://${host}`,
    referrers: options.kind === 'oci',
    ...(options.auth ? { auth: options.auth } : {}),
    ...(cert ? { caFile: cert.ca.certFile } : {}),
    process: service,
  };
  await readyOrStop(service, () =>
    waitUntil(
      async () => {
        const res = await httpGet(`${registry.url}/v2/`, { caFile: registry.caFile, basicAuth: registry.auth });
        return res.status === 200 ? true : undefined;
      },
      { what: `${service.name} to answer ${registry.url}/v2/`, process: service, timeoutMs: 20_000 },
    ),
  );
  return registry;
}

// distribution reads only bcrypt entries; htpasswd -B makes them, reading the password on stdin.
function writeHtpasswd(dir: string, auth: RegistryCredentials): string {
  const file = join(dir, 'htpasswd');
  const line = execFileSync('htpasswd', ['-nBi', auth.username], { input: auth.password, encoding: 'utf8' });
  writeFileSync(file, line, { mode: 0o600 });
  return file;
}

/** A random password for a throwaway test registry. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
