// An HTTP server on 127.0.0.1 in front of a real service (a registry, Fulcio, Rekor) that forwards
// every request unchanged, credentials included, and records it, except the requests an
// interception answers itself: a service that fails from its second request on, or a hook that acts
// between a request and its answer (moving a tag right after a push). The body is read first, so an
// interception may still forward the request and send back what the service said.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerCertificate } from '../../hack/lib/tls.ts';

export interface Forwarded {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface Interception {
  /** Requests whose "METHOD /path?query" matches are answered by `answer`. */
  readonly match: RegExp;
  readonly answer: (response: ServerResponse, request: IncomingMessage, forward: () => Promise<Forwarded>) => unknown;
}

export interface Forwarder {
  /** http://127.0.0.1:PORT, or https:// with a certificate */
  readonly url: string;
  /** 127.0.0.1:PORT */
  readonly host: string;
  /** Every request seen, as "METHOD /path?query", in order. */
  readonly requests: readonly string[];
  /**
   * Every answer sent, as "METHOD /path?query STATUS", in the order they finished: to count the
   * reads that got content (a 401 challenge a client answers with credentials is not a second read).
   */
  readonly answered: readonly string[];
  close(): Promise<void>;
}

/** Headers a hop sets for itself; the rest pass through both ways. */
const HOP_HEADERS = ['host', 'connection', 'content-encoding', 'transfer-encoding', 'content-length', 'keep-alive'];

/**
 * Starts a forwarder to `upstream`; `interceptions` is asked on every request, so a test may change
 * it. With `certificate`, it speaks HTTPS (a service behind a private CA).
 */
export async function startForwarder(upstream: string, interceptions: () => readonly Interception[] = () => [], certificate?: ServerCertificate): Promise<Forwarder> {
  const requests: string[] = [];
  const answered: string[] = [];
  let origin = '';
  const listener: RequestListener = (request, response) => {
    const line = `${request.method} ${request.url}`;
    requests.push(line);
    response.on('finish', () => answered.push(`${line} ${response.statusCode}`));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = () => forwardRequest(upstream, origin, request, body);
      const interception = interceptions().find((candidate) => candidate.match.test(line));
      const answered = interception ? interception.answer(response, request, forward) : forward().then((forwarded) => reply(response, forwarded));
      Promise.resolve(answered).catch(() => response.headersSent || response.writeHead(502).end());
    });
  };
  const server = certificate
    ? createTlsServer({ cert: readFileSync(certificate.certFile), key: readFileSync(certificate.keyFile) }, listener)
    : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  origin = `${certificate ? 'https' : 'http'}://${host}`;
  return {
    url: origin,
    host,
    requests,
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function forwardRequest(upstream: string, origin: string, request: IncomingMessage, body: Buffer): Promise<Forwarded> {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !HOP_HEADERS.includes(name))) as Record<string, string>;
  const answer = await fetch(new URL(request.url ?? '/', upstream), {
    method: request.method ?? 'GET',
    headers,
    ...(body.length > 0 ? { body } : {}),
    redirect: 'manual',
  });
  const forwarded: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    // A HEAD answer has no body to measure: its Content-Length (a manifest's size) is the service's.
    if (!HOP_HEADERS.includes(name) || (name === 'content-length' && request.method === 'HEAD')) forwarded[name] = value;
  });
  // A registry names the upload's next URL after itself: the client must keep coming through here.
  const upstreamOrigin = new URL(upstream).origin;
  if (forwarded.location?.startsWith(upstreamOrigin)) forwarded.location = origin + forwarded.location.slice(upstreamOrigin.length);
  return { status: answer.status, headers: forwarded, body: Buffer.from(await answer.arrayBuffer()) };
}

/** Sends what the service answered. */
export function reply(response: ServerResponse, forwarded: Forwarded): void {
  response.writeHead(forwarded.status, forwarded.headers).end(forwarded.body);
}

/**
 * An interception that forwards the first `passes` matching requests and answers the rest with
 * `status`: a service that fails from its (passes + 1)th request on. `forwarded` holds what the
 * service answered to the ones let through.
 */
export function failAfter(match: RegExp, passes: number, status: number): Interception & { readonly seen: () => number; readonly forwarded: number[] } {
  let seen = 0;
  const forwarded: number[] = [];
  return {
    match,
    seen: () => seen,
    forwarded,
    answer: async (response, _request, forward) => {
      seen++;
      if (seen > passes) return void injectStatus(response, status);
      const answer = await forward();
      forwarded.push(answer.status);
      reply(response, answer);
    },
  };
}

/**
 * An interception that answers the first `failures` matching requests with `status` and forwards
 * the rest: a service that is briefly unwell (what a client's retries are for).
 */
export function failFirst(match: RegExp, failures: number, status: number): Interception & { readonly seen: () => number } {
  return counted(match, async (seen, response, _request, forward) => {
    if (seen <= failures) return injectStatus(response, status);
    reply(response, await forward());
  });
}

/**
 * An interception that cuts the connection of matching requests: before the service sees them
 * (`landed` false: the request is lost), or after it answered (`landed` true: the write was done and
 * only its answer is lost, what a client must not take for a failure it can simply repeat). With
 * `times`, only the first `times` are cut and the rest forwarded.
 */
export function cutConnection(match: RegExp, landed = false, times = Infinity): Interception & { readonly seen: () => number } {
  return counted(match, async (seen, response, request, forward) => {
    if (seen > times) return reply(response, await forward());
    if (landed) await forward();
    request.socket.destroy();
  });
}

/** An interception whose answer is told how many matching requests came so far, this one included. */
function counted(
  match: RegExp,
  answer: (seen: number, ...rest: Parameters<Interception['answer']>) => unknown,
): Interception & { readonly seen: () => number } {
  let seen = 0;
  return { match, seen: () => seen, answer: (...rest) => answer(++seen, ...rest) };
}

/**
 * An interception that never answers matching requests and keeps their connection open (a
 * blackhole); `reached` resolves when the first one came (a flow that got to that request).
 */
export function neverAnswer(match: RegExp): Interception & { readonly reached: Promise<void> } {
  let reach: () => void = () => {};
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return { match, reached, answer: () => reach() };
}

/**
 * An interception that forwards matching requests and sends the service's answer `ms` later: a slow
 * service (latency on every answer), which a client must wait out rather than give up on.
 */
export function delayed(match: RegExp, ms: number): Interception & { readonly seen: () => number } {
  return counted(match, async (_seen, response, _request, forward) => {
    const answer = await forward();
    await sleep(ms);
    reply(response, answer);
  });
}

/** The answer of an injected failure: the status, with a JSON body that says it was injected. */
function injectStatus(response: ServerResponse, status: number): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: status, message: `injected ${status}` }));
}
