// Registry credentials from a docker config folder (DOCKER_CONFIG, ~/.docker), with docker's own
// precedence: a credHelpers entry for the host, else the credsStore, else the auths entries.
// Helpers are docker-credential-<name> programs (`get`, host on stdin, JSON out). Nothing read here
// is ever logged.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubectlBuildError } from '../errors/index.ts';
import type { CredentialSource, RegistryCredential } from '../buildkit/session/auth.ts';

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Runs `docker-credential-<helper> get` for a server; undefined when it holds nothing for it. */
export type CredentialHelperRunner = (helper: string, serverUrl: string) => Promise<RegistryCredential | undefined>;

const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The key docker uses for a registry host: Docker Hub's is a URL, every other is the host itself. */
export function configKeyFor(host: string): string {
  return DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB_KEY : host;
}

/** An auths key as a bare host: "https://registry.example.com/v2/" is "registry.example.com". */
export function hostOfConfigKey(key: string): string {
  if (key === DOCKER_HUB_KEY) return DOCKER_HUB_KEY;
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

export async function readDockerConfig(configDir: string): Promise<DockerConfigFile> {
  const file = join(configDir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch {
    throw new KubectlBuildError('USAGE', `${file} is not valid JSON`, { hint: 'fix the file, or point DOCKER_CONFIG at another folder' });
  }
}

export function credentialFromAuthEntry(entry: AuthEntry): RegistryCredential | undefined {
  if (entry.identitytoken) return { username: '', secret: entry.identitytoken };
  if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, secret: entry.password };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return undefined;
}

export function dockerConfigCredentials(
  configDir: string,
  runHelper: CredentialHelperRunner = runCredentialHelper,
): CredentialSource {
  let config: Promise<DockerConfigFile> | undefined;
  return async (host) => {
    config ??= readDockerConfig(configDir);
    const { auths = {}, credHelpers = {}, credsStore } = await config;
    const key = configKeyFor(host);
    const helper = credHelpers[key] ?? credHelpers[host] ?? credsStore;
    if (helper) return runHelper(helper, key);
    return authsCredential(auths, key);
  };
}

/** The `auths` entry for a config key, written as the key or as a URL of that host. */
function authsCredential(auths: Record<string, AuthEntry>, key: string): RegistryCredential | undefined {
  const entry = auths[key] ?? Object.entries(auths).find(([candidate]) => hostOfConfigKey(candidate) === key)?.[1];
  return entry ? credentialFromAuthEntry(entry) : undefined;
}

export const runCredentialHelper: CredentialHelperRunner = (helper, serverUrl) =>
  new Promise((resolve, reject) => {
    const program = `docker-credential-${helper}`;
    const child = execFile(program, ['get'], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        // Every helper says "credentials not found" on stdout or stderr when it has none.
        if (/credentials not found/i.test(`${stdout}${stderr}`)) return resolve(undefined);
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        return reject(
          new KubectlBuildError('UNAUTHENTICATED', missing ? `the credential helper ${program} is not installed` : `${program} failed for ${serverUrl}`, {
            hint: missing ? `install ${program}, or remove "${helper}" from your docker config` : `run "echo ${serverUrl} | ${program} get" to see why`,
          }),
        );
      }
      try {
        const answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
        // docker's convention: the username "<token>" marks an identity token.
        resolve(answer.Username === '<token>' ? { username: '', secret: answer.Secret ?? '' } : { username: answer.Username ?? '', secret: answer.Secret ?? '' });
      } catch {
        reject(new KubectlBuildError('UNAUTHENTICATED', `${program} answered something that is not JSON`, { hint: `check ${program} for ${serverUrl}` }));
      }
    });
    child.stdin?.end(serverUrl);
  });

/** Credentials from a docker config already in memory (a dockerconfigjson Secret): its auths only. */
export function configFileCredentials(config: DockerConfigFile): CredentialSource {
  const { auths = {} } = config;
  return async (host) => authsCredential(auths, configKeyFor(host));
}
