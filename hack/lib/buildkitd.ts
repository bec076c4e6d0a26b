// buildkitd as root with the OCI worker (runc), on a unix socket in a private folder, configured to
// trust our test registries (plain HTTP, or TLS with our CA).
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';
import { tool } from './paths.ts';
import { createCertificateAuthority, createClientCertificate, createServerCertificate } from './tls.ts';
import { readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';

const run = promisify(execFile);

/** How buildkitd should reach one registry. */
export interface RegistryTrust {
  readonly host: string;
  /** The registry speaks plain HTTP. */
  readonly plainHttp?: boolean;
  /** The registry's TLS certificate is signed by this CA. */
  readonly caFile?: string;
}

export interface BuildkitdOptions {
  /** A private folder (mode 0700): socket, state root, config and log. */
  readonly dir: string;
  readonly registries?: readonly RegistryTrust[];
  readonly detached?: boolean;
  readonly debug?: boolean;
  /** Also listen on tcp://127.0.0.1:<free port>, with mutual TLS from a fresh CA. */
  readonly tcpTls?: boolean;
  /** Entitlements the daemon may grant a build that asks (--allow); none by default, as buildkitd. */
  readonly entitlements?: readonly string[];
}

export interface Buildkitd {
  /** unix:///.../buildkitd.sock: BUILDKIT_HOST and buildctl --addr take it as is. */
  readonly address: string;
  /** With tcpTls: the TCP address and the files a client needs (--tls-ca/--tls-cert/--tls-key). */
  readonly tcp?: { readonly address: string; readonly ca: string; readonly cert: string; readonly key: string };
  readonly process: ServiceProcess;
}

/** A TCP listener that requires client certificates from `ca`. */
export interface TcpTlsListener {
  readonly address: string;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface BuildkitdConfigInput {
  readonly rootDir: string;
  readonly address: string;
  readonly tcp?: TcpTlsListener;
  readonly registries: readonly RegistryTrust[];
  readonly debug: boolean;
  readonly entitlements?: readonly string[];
}

/** buildkitd.toml for our setup. Pure, so a unit test can read it. */
export function buildkitdConfig(input: BuildkitdConfigInput): string {
  const lines = [
    `root = ${tomlString(input.rootDir)}`,
    `debug = ${input.debug}`,
    ...(input.entitlements?.length ? [`insecure-entitlements = [${input.entitlements.map(tomlString).join(', ')}]`] : []),
    '',
    '[grpc]',
    `  address = [${[input.address, ...(input.tcp ? [input.tcp.address] : [])].map(tomlString).join(', ')}]`,
    ...(input.tcp
      ? ['  [grpc.tls]', `    cert = ${tomlString(input.tcp.cert)}`, `    key = ${tomlString(input.tcp.key)}`, `    ca = ${tomlString(input.tcp.ca)}`]
      : []),
    '',
    '[worker.oci]',
    '  enabled = true',
    '  gc = true',
    '',
    '[worker.containerd]',
    '  enabled = false',
  ];
  for (const registry of input.registries) {
    lines.push('', `[registry.${tomlString(registry.host)}]`);
    // Explicit either way: left unset, BuildKit also tries plain HTTP for a localhost registry, and
    // a TLS registry answers that with 400, which fails the push instead of falling back.
    lines.push(`  http = ${registry.plainHttp === true}`);
    if (registry.caFile) lines.push(`  ca = [${tomlString(registry.caFile)}]`);
  }
  return `${lines.join('\n')}\n`;
}

// A TOML basic string: JSON's escapes are a subset TOML reads the same way.
function tomlString(value: string): string {
  return JSON.stringify(value);
}

export async function startBuildkitd(options: BuildkitdOptions): Promise<Buildkitd> {
  if (process.getuid?.() !== 0) {
    throw new Error('buildkitd must run as root (the OCI worker mounts and runs containers with runc)');
  }
  mkdirSync(options.dir, { recursive: true });
  chmodSync(options.dir, 0o700);
  const address = `unix://${join(options.dir, 'buildkitd.sock')}`;
  let tcp: Buildkitd['tcp'];
  let listener: TcpTlsListener | undefined;
  if (options.tcpTls) {
    const ca = createCertificateAuthority(options.dir);
    const server = createServerCertificate(ca, options.dir);
    const client = createClientCertificate(ca, options.dir);
    listener = { address: `tcp://127.0.0.1:${await freePort()}`, cert: server.certFile, key: server.keyFile, ca: ca.certFile };
    tcp = { address: listener.address, ca: ca.certFile, cert: client.certFile, key: client.keyFile };
  }
  const configFile = join(options.dir, 'buildkitd.toml');
  writeFileSync(
    configFile,
    buildkitdConfig({
      rootDir: join(options.dir, 'root'),
      address,
      ...(listener ? { tcp: listener } : {}),
      registries: options.registries ?? [],
      debug: options.debug ?? false,
      ...(options.entitlements ? { entitlements: options.entitlements } : {}),
    }),
  );
  const service = startProcess({
    name: 'buildkitd',
    command: tool('buildkitd'),
    args: ['--config', configFile],
    logFile: join(options.dir, 'buildkitd.log'),
    detached: options.detached,
  });
  await readyOrStop(service, () =>
    waitUntil(async () => ((await listWorkers(address)).length > 0 ? true : undefined), {
      what: `buildkitd to list a worker at ${address}`,
      process: service,
      timeoutMs: 60_000,
      intervalMs: 250,
    }),
  );
  return { address, ...(tcp ? { tcp } : {}), process: service };
}

/** The workers buildkitd reports (`buildctl debug workers`): one "ID PLATFORMS" row each. */
export async function listWorkers(address: string): Promise<string[]> {
  const { stdout } = await run(tool('buildctl'), ['--addr', address, 'debug', 'workers'], { timeout: 10_000 });
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .filter((row) => row.trim() !== '');
}
