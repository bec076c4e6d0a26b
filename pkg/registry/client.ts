// A small OCI distribution client: manifests, blobs and referrers, with the registry's own auth
// scheme (Basic, or Bearer tokens from the realm it names) and credentials from a CredentialSource.
// Loopback registries are spoken to over plain HTTP, as docker and cosign do.
import { createHash } from 'node:crypto';
import { KubectlBuildError } from '../errors/index.ts';
import type { CredentialSource } from '../buildkit/session/auth.ts';

export interface Manifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly body: Buffer;
}

export interface RegistryClientOptions {
  readonly credentials: CredentialSource;
  /** Registries spoken to over plain HTTP besides loopback ones. */
  readonly insecureRegistries?: readonly string[];
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const MANIFEST_TYPES = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ');

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export class RegistryClient {
  readonly #options: RegistryClientOptions;
  /** Authorization header per registry and scope, once a challenge was answered. */
  readonly #authorization = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.#options = options;
  }

  async getManifest(registry: string, repository: string, reference: string): Promise<Manifest | undefined> {
    const response = await this.#request(registry, repository, 'GET', `manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } });
    if (response.status === 404) return undefined;
    await expectOk(response, `reading ${registry}/${repository}:${reference}`);
    const body = Buffer.from(await response.arrayBuffer());
    return {
      digest: response.headers.get('docker-content-digest') ?? sha256Digest(body),
      mediaType: (response.headers.get('content-type') ?? '').split(';')[0] ?? '',
      body,
    };
  }

  async putManifest(registry: string, repository: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const response = await this.#request(registry, repository, 'PUT', `manifests/${reference}`, { headers: { 'content-type': mediaType }, body });
    await expectOk(response, `writing ${registry}/${repository}:${reference}`);
    return response.headers.get('docker-content-digest') ?? sha256Digest(body);
  }

  async getBlob(registry: string, repository: string, digest: string): Promise<Buffer> {
    const response = await this.#request(registry, repository, 'GET', `blobs/${digest}`);
    await expectOk(response, `reading ${registry}/${repository}@${digest}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Uploads a blob unless the registry has it already; returns its digest. */
  async pushBlob(registry: string, repository: string, data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    const head = await this.#request(registry, repository, 'HEAD', `blobs/${digest}`);
    if (head.status === 200) return digest;
    const start = await this.#request(registry, repository, 'POST', 'blobs/uploads/');
    await expectOk(start, `starting an upload to ${registry}/${repository}`);
    const location = start.headers.get('location');
    if (!location) throw new KubectlBuildError('REGISTRY', `${registry} started an upload without a location`, { hint: 'check the registry' });
    const url = new URL(location, this.#base(registry));
    url.searchParams.set('digest', digest);
    const put = await this.#request(registry, repository, 'PUT', url.toString(), {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    await expectOk(put, `uploading a blob to ${registry}/${repository}`);
    return digest;
  }

  /** The OCI 1.1 referrers of a digest, or undefined when the registry does not serve the API. */
  async referrers(registry: string, repository: string, digest: string): Promise<Array<{ digest: string; artifactType?: string }> | undefined> {
    const response = await this.#request(registry, repository, 'GET', `referrers/${digest}`, { headers: { accept: OCI_INDEX } });
    if (response.status === 404 || response.status === 405) return undefined;
    await expectOk(response, `listing referrers in ${registry}/${repository}`);
    const index = (await response.json()) as { manifests?: Array<{ digest: string; artifactType?: string }> };
    return index.manifests ?? [];
  }

  #base(registry: string): string {
    const host = registry.replace(/:\d+$/, '');
    const plain = ['localhost', '127.0.0.1', '[::1]'].includes(host) || host.startsWith('127.') || (this.#options.insecureRegistries ?? []).includes(registry);
    return `${plain ? 'http' : 'https'}://${registry}/v2/`;
  }

  async #request(
    registry: string,
    repository: string,
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const url = path.includes('://') ? path : `${this.#base(registry)}${repository}/${path}`;
    const scope = `repository:${repository}:pull,push`;
    const key = `${registry} ${scope}`;
    const send = (authorization?: string) =>
      fetch(url, {
        method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        ...(init.body ? { body: new Uint8Array(init.body) } : {}),
        redirect: 'follow',
        signal: AbortSignal.timeout(60_000),
      }).catch((error: unknown) => {
        throw new KubectlBuildError('UNAVAILABLE', `cannot reach the registry ${registry}`, {
          hint: 'check the registry address and that it is running',
          cause: error,
        });
      });
    let response = await send(this.#authorization.get(key));
    if (response.status !== 401) return response;
    const authorization = await this.#answerChallenge(registry, response.headers.get('www-authenticate') ?? '', scope);
    if (!authorization) return response;
    this.#authorization.set(key, authorization);
    // A body stream can be read once; ours are Buffers, sent again as they are.
    response = await send(authorization);
    return response;
  }

  async #answerChallenge(registry: string, challenge: string, scope: string): Promise<string | undefined> {
    const credential = await this.#options.credentials(registry);
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    if (scheme === 'basic') {
      if (!credential) return undefined;
      return `Basic ${Buffer.from(`${credential.username}:${credential.secret}`).toString('base64')}`;
    }
    if (scheme !== 'bearer') return undefined;
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) return undefined;
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (credential) headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.secret}`).toString('base64')}`;
    const response = await fetch(tokenUrl, { headers, signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    if (!response?.ok) return undefined;
    const token = (await response.json()) as { token?: string; access_token?: string };
    const value = token.token ?? token.access_token;
    return value ? `Bearer ${value}` : undefined;
  }
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (response.ok) return;
  const detail = (await response.text().catch(() => '')).slice(0, 300).trim();
  if (response.status === 401 || response.status === 403) {
    throw new KubectlBuildError('UNAUTHENTICATED', `the registry refused ${what} (HTTP ${response.status})`, {
      hint: 'check the credentials for that registry in your docker config (docker login, DOCKER_CONFIG)',
    });
  }
  throw new KubectlBuildError('REGISTRY', `the registry failed ${what}: HTTP ${response.status}${detail ? ` ${detail}` : ''}`, {
    hint: 'check the registry and try again',
  });
}
