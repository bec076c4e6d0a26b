// A small OCI distribution client: manifests, blobs and referrers, with the registry's own auth
// scheme (Basic, or Bearer tokens from the realm it names) and credentials from a CredentialSource.
// Loopback registries are spoken to over plain HTTP, as docker and cosign do. HTTP is http.ts's.
import { createHash } from 'node:crypto';
import { errorMessage, KubectlBuildError } from '../errors/index.ts';
import type { CredentialSource } from '../buildkit/session/auth.ts';
import { httpRequest, type HttpResponse } from './http.ts';
import { probeRegistry, type ProbeOutcome } from './probe.ts';
import { isDroppedConnection, isPassingStatus, isRetryableMethod, READ_RETRIES, retryDelayMs, sleep, type RetryPolicy } from './retry.ts';

export interface Manifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly body: Buffer;
}

/** An OCI descriptor, as indexes and the referrers API list them. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string };
}

/**
 * The most a manifest may weigh (distribution's own limit is 4 MiB): a registry that answers with
 * more is refused instead of read into memory.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** How long one registry request waits for an answer unless --registry-timeout says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface RegistryClientOptions {
  readonly credentials: CredentialSource;
  /** Registries spoken to over plain HTTP besides loopback ones. */
  readonly insecureRegistries?: readonly string[];
  /** How long one request may wait for the registry's answer (--registry-timeout); default 60 s. */
  readonly requestTimeoutMs?: number;
  /** How reads are tried again (retry.ts); writes never are. */
  readonly readRetries?: RetryPolicy;
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

  /**
   * A manifest by tag or digest; undefined when the registry has none. Its digest is computed from
   * the bytes received (never taken from the registry's header), and a manifest asked for by digest
   * must hash to that digest.
   */
  async getManifest(registry: string, repository: string, reference: string): Promise<Manifest | undefined> {
    const what = `${registry}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
    const read = await this.#read(registry, repository, 'GET', `manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } }, async (response) => {
      if (response.status === 404) {
        response.discard();
        return undefined;
      }
      await expectOk(response, `reading ${what}`);
      return { body: await readBounded(response, MAX_MANIFEST_BYTES, `the manifest ${what}`), mediaType: (response.header('content-type') ?? '').split(';')[0] ?? '' };
    });
    if (!read) return undefined;
    const { body, mediaType } = read;
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new KubectlBuildError('REGISTRY', `the registry answered ${what} with content whose digest is ${digest}`, {
        hint: 'the registry (or something between it and you) altered the manifest; check it',
      });
    }
    return { digest, mediaType, body };
  }

  async putManifest(registry: string, repository: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const response = await this.#request(registry, repository, 'PUT', `manifests/${reference}`, { headers: { 'content-type': mediaType }, body });
    await expectOk(response, `writing ${registry}/${repository}:${reference}`);
    response.discard();
    return response.header('docker-content-digest') ?? sha256Digest(body);
  }

  /** A blob, checked against its digest; `maxBytes` refuses a larger one before reading it all. */
  async getBlob(registry: string, repository: string, digest: string, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
    const what = `${registry}/${repository}@${digest}`;
    const body = await this.#read(registry, repository, 'GET', `blobs/${digest}`, {}, async (response) => {
      await expectOk(response, `reading ${what}`);
      return readBounded(response, maxBytes, `the blob ${what}`);
    });
    if (digest.startsWith('sha256:') && sha256Digest(body) !== digest) {
      throw new KubectlBuildError('REGISTRY', `the registry answered ${what} with content of another digest`, { hint: 'check the registry' });
    }
    return body;
  }

  /**
   * Every tag of a repository, page by page: tags/list with `n`, following the Link header a registry
   * sends, or asking on from the last tag seen (`last`) when a full page came without one (as
   * go-containerregistry's registry answers). Registries that ignore both send everything at once:
   * a page that brings nothing new ends the walk, and no tag is given twice.
   */
  async *listTags(registry: string, repository: string, pageSize = 1000): AsyncGenerator<string> {
    const seen = new Set<string>();
    let path: string | undefined = `tags/list?n=${pageSize}`;
    while (path) {
      const current: string = path;
      const fetched: TagPage = await this.#read<TagPage>(registry, repository, 'GET', current, {}, async (response: HttpResponse) => {
        if (response.status === 404) {
          response.discard();
          throw new KubectlBuildError('NOT_FOUND', `the repository ${registry}/${repository} does not exist`, { hint: 'check the repository name' });
        }
        await expectOk(response, `listing the tags of ${registry}/${repository}`);
        const text = (await readBounded(response, MAX_MANIFEST_BYTES, `the tag list of ${registry}/${repository}`)).toString('utf8');
        return { page: JSON.parse(text) as { tags?: string[] | null }, link: response.header('link') ?? '' };
      });
      const { page, link } = fetched;
      const tags: string[] = page.tags ?? [];
      const fresh = tags.filter((tag) => !seen.has(tag));
      for (const tag of fresh) {
        seen.add(tag);
        yield tag;
      }
      // Link: </v2/repo/tags/list?n=100&last=x>; rel="next"
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1];
      const last = tags.at(-1);
      if (fresh.length === 0) path = undefined;
      else if (next) path = new URL(next, this.#base(registry)).toString();
      else path = tags.length >= pageSize && last ? `tags/list?n=${pageSize}&last=${encodeURIComponent(last)}` : undefined;
    }
  }

  /** Uploads a blob unless the registry has it already; returns its digest. */
  async pushBlob(registry: string, repository: string, data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    const present = await this.#read(registry, repository, 'HEAD', `blobs/${digest}`, {}, async (head) => {
      head.discard();
      return head.status === 200;
    });
    if (present) return digest;
    const start = await this.#request(registry, repository, 'POST', 'blobs/uploads/');
    await expectOk(start, `starting an upload to ${registry}/${repository}`);
    start.discard();
    const location = start.header('location');
    if (!location) throw new KubectlBuildError('REGISTRY', `${registry} started an upload without a location`, { hint: 'check the registry' });
    const url = new URL(location, this.#base(registry));
    url.searchParams.set('digest', digest);
    const put = await this.#request(registry, repository, 'PUT', url.toString(), {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    await expectOk(put, `uploading a blob to ${registry}/${repository}`);
    put.discard();
    return digest;
  }

  /**
   * The OCI 1.1 referrers of a digest (of one artifactType when given), or undefined when the
   * registry does not serve the API. A registry may ignore the filter: callers check artifactType.
   */
  async referrers(registry: string, repository: string, digest: string, artifactType?: string): Promise<Descriptor[] | undefined> {
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    return this.#read(registry, repository, 'GET', `referrers/${digest}${query}`, { headers: { accept: OCI_INDEX } }, async (response) => {
      if (response.status === 404 || response.status === 405) {
        response.discard();
        return undefined;
      }
      await expectOk(response, `listing referrers of ${registry}/${repository}@${digest}`);
      const index = JSON.parse((await readBounded(response, MAX_MANIFEST_BYTES, `the referrers of ${registry}/${repository}@${digest}`)).toString('utf8')) as { manifests?: Descriptor[] };
      return index.manifests ?? [];
    });
  }

  /** Whether `registry` answers a request from this machine within `timeoutMs` (probe.ts). */
  probe(registry: string, timeoutMs: number): Promise<ProbeOutcome> {
    return probeRegistry(this.#base(registry), timeoutMs);
  }

  #base(registry: string): string {
    const host = registry.replace(/:\d+$/, '');
    const plain = ['localhost', '127.0.0.1', '[::1]'].includes(host) || host.startsWith('127.') || (this.#options.insecureRegistries ?? []).includes(registry);
    return `${plain ? 'http' : 'https'}://${registry}/v2/`;
  }

  /**
   * A read (GET or HEAD) and what `consume` makes of its answer, tried again (retry.ts) when the
   * connection was refused or dropped, the body included, or the registry answered 429/5xx; after
   * the last attempt the failure is the caller's to report, as without retries.
   */
  async #read<T>(
    registry: string,
    repository: string,
    method: 'GET' | 'HEAD',
    path: string,
    init: { headers?: Record<string, string> },
    consume: (response: HttpResponse) => Promise<T>,
  ): Promise<T> {
    const policy = this.#options.readRetries ?? READ_RETRIES;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= policy.attempts;
      let retryAfter: string | undefined;
      try {
        const response = await this.#request(registry, repository, method, path, init);
        if (last || !isPassingStatus(response.status)) return await consume(response);
        retryAfter = response.header('retry-after');
        response.discard();
      } catch (error) {
        if (last || !isDroppedConnection(error)) throw error;
      }
      await sleep(retryDelayMs(policy, attempt, retryAfter));
    }
  }

  async #request(
    registry: string,
    repository: string,
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<HttpResponse> {
    const url = path.includes('://') ? path : `${this.#base(registry)}${repository}/${path}`;
    const scope = `repository:${repository}:pull,push`;
    const key = `${registry} ${scope}`;
    const send = (authorization?: string) =>
      httpRequest(url, {
        method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        ...(init.body ? { body: init.body } : {}),
        timeoutMs: this.#options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      }).catch((error: unknown) => {
        throw unreachable(registry, method, error);
      });
    let response = await send(this.#authorization.get(key));
    if (response.status !== 401) return response;
    const authorization = await this.#answerChallenge(registry, response.header('www-authenticate') ?? '', scope);
    if (!authorization) return response;
    response.discard();
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
    const response = await httpRequest(tokenUrl.toString(), { method: 'GET', headers, timeoutMs: 30_000 }).catch(() => undefined);
    if (!response?.ok) {
      response?.discard();
      return undefined;
    }
    const token = (await response.json()) as { token?: string; access_token?: string };
    const value = token.token ?? token.access_token;
    return value ? `Bearer ${value}` : undefined;
  }
}

/** A request that got no answer; a write cut off midway may have landed, and the user is told so. */
function unreachable(registry: string, method: string, error: unknown): KubectlBuildError {
  if ((error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    return new KubectlBuildError('UNAVAILABLE', `the registry ${registry} did not answer: ${errorMessage(error)}`, {
      hint: 'check the registry and the network between you, or raise --registry-timeout',
      cause: error,
    });
  }
  const cut = isDroppedConnection(error) && (error as NodeJS.ErrnoException).code !== 'ECONNREFUSED';
  if (cut && !isRetryableMethod(method)) {
    return new KubectlBuildError('UNAVAILABLE', `the connection to the registry ${registry} dropped during a write, which may or may not have been stored`, {
      hint: 'check the registry and the network, then run the command again',
      cause: error,
    });
  }
  return new KubectlBuildError('UNAVAILABLE', `cannot reach the registry ${registry}`, {
    hint: 'check the registry address and that it is running',
    cause: error,
  });
}

/** One page of tags/list, with its Link header (the next page, when the registry pages). */
interface TagPage {
  readonly page: { readonly tags?: string[] | null };
  readonly link: string;
}

/** A response body of at most `maxBytes`, refused (not truncated) when the registry sends more. */
async function readBounded(response: HttpResponse, maxBytes: number, what: string): Promise<Buffer> {
  const tooLarge = () =>
    new KubectlBuildError('REGISTRY', `${what} is larger than ${maxBytes} bytes`, { hint: 'the registry sent more than such an object can hold; check what is stored there' });
  const declared = Number(response.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    response.discard();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      response.discard();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function expectOk(response: HttpResponse, what: string): Promise<void> {
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
