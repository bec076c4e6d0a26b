// A stand-in for GitHub Actions' OIDC token endpoint, as a job sees it: the job's bearer token
// required, the audience in the query, the ID token in {"value": ...}. The job finds it through
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (`env`); `envThrough` names the
// same endpoint behind a forwarder of the test's (a fault in front of it).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubTokenEndpoint {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The job's environment for this endpoint. */
  readonly env: Record<string, string>;
  /** The job's environment for this endpoint reached at `origin` instead (a forwarder's URL). */
  envThrough(origin: string): Record<string, string>;
  readonly bearer: string;
  /** The audience of each request that came, in order. */
  readonly audiences: ReadonlyArray<string | null>;
  close(): Promise<void>;
}

/** Starts the endpoint; `answer` says what a request with the right bearer token gets. */
export async function gitHubTokenEndpoint(answer: (audience: string | null) => Promise<{ status: number; body: unknown }>): Promise<GitHubTokenEndpoint> {
  const bearer = randomBytes(16).toString('hex');
  const audiences: Array<string | null> = [];
  const server = createServer((request, response) => {
    const audience = new URL(request.url ?? '/', 'http://x').searchParams.get('audience');
    audiences.push(audience);
    if (request.headers.authorization !== `bearer ${bearer}`) return void response.writeHead(401).end();
    void answer(audience).then(({ status, body }) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // GitHub's URL carries a query of its own; the audience is added to it.
  const envThrough = (origin: string) => ({ ACTIONS_ID_TOKEN_REQUEST_URL: `${origin}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: bearer });
  return {
    url,
    env: envThrough(url),
    envThrough,
    bearer,
    audiences,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
