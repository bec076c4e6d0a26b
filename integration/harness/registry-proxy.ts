// A proxy in front of a real test registry that answers some requests itself: a registry that
// fails (401, 404, 500), lies (a referrers listing naming what is not a bundle) or sends too much.
// Everything else goes through unchanged, credentials included. Listens on 127.0.0.1; the test
// closes it (onTestFinished) so nothing outlives the test.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { writeClientFiles, type ClientFiles } from '../../hack/lib/client-files.ts';
import { scratchDir, type TestRegistry } from './index.ts';

export interface Fault {
  /** Requests whose method and path (with query) match are answered by `answer`. */
  readonly match: RegExp;
  readonly answer: (response: ServerResponse, request: IncomingMessage) => void;
}

export interface RegistryProxy {
  /** host:port of the proxy, to use in image references. */
  readonly host: string;
  /** Client files with the registry's credentials for the proxy's host. */
  readonly files: ClientFiles;
  /** Every request seen, as "METHOD /path?query", in order. */
  readonly requests: readonly string[];
  /**
   * Every answer sent, as "METHOD /path?query STATUS", in the order they finished: to count the
   * reads that got content (a 401 challenge a client answers with credentials is not a second read).
   */
  readonly answered: readonly string[];
}

export async function proxyRegistry(registry: TestRegistry, faults: readonly Fault[]): Promise<RegistryProxy> {
  const requests: string[] = [];
  const answered: string[] = [];
  const server = createServer((request, response) => {
    const line = `${request.method} ${request.url}`;
    requests.push(line);
    response.on('finish', () => answered.push(`${line} ${response.statusCode}`));
    const fault = faults.find((candidate) => candidate.match.test(line));
    if (fault) return fault.answer(response, request);
    const upstream = new URL(request.url ?? '/', registry.url);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'connection')) as Record<string, string>;
      fetch(upstream, { method: request.method ?? 'GET', headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}), redirect: 'manual' })
        .then(async (answer) => {
          const body = Buffer.from(await answer.arrayBuffer());
          const forwarded: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (!['content-encoding', 'transfer-encoding', 'connection', 'content-length'].includes(name)) forwarded[name] = value;
          });
          response.writeHead(answer.status, forwarded).end(body);
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const files = writeClientFiles(scratchDir('proxy-clients'), [{ ...registry, host }]);
  return { host, files, requests, answered };
}

/** Answers with a status and a JSON error body, as a registry does. */
export function status(code: number): Fault['answer'] {
  return (response) => response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${code}` }] }));
}
