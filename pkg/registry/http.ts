// HTTP for the registry client, on node:http and node:https with keep-alive agents: a registry
// conversation is many small requests to one host (a repository view is several per tag), and
// fetch's per-request machinery cost more CPU than the rest of the verification (measured: a third
// of a 200-tag run). Redirects are followed as fetch follows them (Authorization is not sent to
// another origin: registries redirect blob reads to storage that refuses it). Every response must be
// read or discarded, so that its connection goes back to the pool.
import { request as httpRequestRaw, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequestRaw, Agent as HttpsAgent } from 'node:https';

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 16 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
};

const MAX_REDIRECTS = 5;

export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly url: string;
  header(name: string): string | undefined;
  /** The body as it arrives (Buffers); read it, or discard() it. */
  readonly body: AsyncIterable<Buffer>;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Drops the body unread (a connection that is still receiving it is closed). */
  discard(): void;
}

export interface HttpRequest {
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly timeoutMs: number;
}

export async function httpRequest(url: string, init: HttpRequest): Promise<HttpResponse> {
  let target = new URL(url);
  let { method, headers = {} } = init;
  let body = init.body;
  for (let hop = 0; ; hop++) {
    const response = await send(target, method, headers, body, init.timeoutMs);
    const location = response.headers.location;
    if (!location || ![301, 302, 303, 307, 308].includes(response.statusCode ?? 0) || hop === MAX_REDIRECTS) return wrap(target.toString(), response, method);
    response.resume();
    const next = new URL(location, target);
    // As fetch: 303 (and 301/302 of anything but GET/HEAD) become a GET without a body.
    if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method !== 'GET' && method !== 'HEAD')) {
      method = 'GET';
      body = undefined;
    }
    if (next.origin !== target.origin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
    target = next;
  }
}

function send(url: URL, method: string, headers: Readonly<Record<string, string>>, body: Buffer | undefined, timeoutMs: number): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new Error(`unsupported URL scheme ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, agent }, resolve);
    // ETIMEDOUT: a request that got no answer in time is not tried again (retry.ts).
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function wrap(url: string, response: IncomingMessage, method: string): HttpResponse {
  const status = response.statusCode ?? 0;
  const readAll = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    url,
    header: (name) => {
      const value = response.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body: response,
    text: readAll,
    json: async () => JSON.parse(await readAll()) as unknown,
    discard: () => {
      // A small body (or none: HEAD) is read to its end, which hands the connection back to the pool
      // (a response that has arrived whole still has to be read for that); anything else closes it.
      const length = Number(response.headers['content-length'] ?? Number.NaN);
      if (response.complete || method === 'HEAD' || length <= 64 * 1024) response.resume();
      else response.destroy();
    },
  };
}
