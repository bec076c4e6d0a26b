// For unit tests: a stand-in Kubernetes API server on 127.0.0.1 (plain HTTP) and a kubeconfig for it.
// `answer` gets each request with how many came before it; the requests are recorded as
// "METHOD /path?query". Closed when the test finishes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export interface StandInApi {
  readonly kubeconfig: string;
  readonly requests: readonly string[];
}

export async function standInApi(answer: (request: IncomingMessage, response: ServerResponse, before: number) => void): Promise<StandInApi> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    answer(request, response, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kb-stand-in-api-')), 'kubeconfig');
  // client-node refuses plain HTTP unless TLS checks are off; the real API server is HTTPS.
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'x',
    clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'ns' } }],
  }));
  return { kubeconfig, requests };
}

/** An answer as the API server gives one: JSON with the HTTP status, and headers. */
export function apiAnswer(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
