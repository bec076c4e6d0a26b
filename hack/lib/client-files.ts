// The files registry clients read: a docker config.json with credentials (for skopeo, cosign and
// kubectl build alike) and a certificate folder that trusts our test CA. Written once per folder, mode 0600.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from './registry.ts';

export interface ClientFiles {
  /** A folder to use as DOCKER_CONFIG: it holds config.json. */
  readonly dockerConfigDir: string;
  readonly authFile: string;
  /** A folder with ca.crt, for skopeo's --cert-dir; undefined when no registry uses TLS. */
  readonly certDir?: string;
}

export function writeClientFiles(dir: string, registries: readonly Registry[]): ClientFiles {
  const dockerConfigDir = join(dir, 'docker');
  mkdirSync(dockerConfigDir, { recursive: true, mode: 0o700 });
  const auths: Record<string, { auth: string }> = {};
  for (const registry of registries) {
    if (!registry.auth) continue;
    const { username, password } = registry.auth;
    auths[registry.host] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  }
  const authFile = join(dockerConfigDir, 'config.json');
  writeFileSync(authFile, `${JSON.stringify({ auths }, null, 2)}\n`, { mode: 0o600 });

  const withCa = registries.filter((registry) => registry.caFile !== undefined);
  if (withCa.length === 0) return { dockerConfigDir, authFile };
  const certDir = join(dir, 'certs');
  mkdirSync(certDir, { recursive: true });
  // skopeo reads every *.crt in the folder as a CA.
  withCa.forEach((registry, index) => copyFileSync(registry.caFile as string, join(certDir, `ca-${index}.crt`)));
  return { dockerConfigDir, authFile, certDir };
}
