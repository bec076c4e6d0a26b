// --request-timeout is kubectl's flag: the same values must mean the same thing. kubectl (the pinned
// peer, hack/tools.sh) is run against a stand-in API server that records the request: client-go
// sends the timeout it parsed as the `timeout` query parameter (Go's Duration.String(), "0" for none
// is no parameter), or kubectl refuses the value before any request. Our parser must take exactly the
// values kubectl takes, with the same length, and refuse the rest.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tool } from '../hack/lib/paths.ts';
import { parseRequestTimeout } from '../pkg/kube/request-timeout.ts';

const run = promisify(execFile);

let server: Server;
let url = '';
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.url ?? '');
    response.writeHead(404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** kubectl's reading of `value`: the timeout it sent in milliseconds (0: none), or 'refused'. */
async function kubectlReads(value: string): Promise<number | 'refused'> {
  const path = `/probe-${seen.length}`;
  // -v=8: client-go logs each request's URL before sending it, which is read when a timeout of a few
  // milliseconds ends the request before it reaches the server (it did once, on a loaded machine).
  const result = await run(tool('kubectl'), ['--kubeconfig=/dev/null', `--server=${url}`, `--request-timeout=${value}`, '-v=8', 'get', '--raw', path]).then(
    ({ stderr }) => ({ stderr }),
    (error: { stderr?: string }) => ({ stderr: error.stderr ?? '' }),
  );
  if (/Invalid timeout value/.test(result.stderr)) return 'refused';
  const logged = new RegExp(`"Request" verb="GET" url="[^"]*(${path}(?:\\?[^"]*)?)"`).exec(result.stderr)?.[1];
  const request = seen.find((line) => line.startsWith(path)) ?? logged;
  if (!request) throw new Error(`kubectl neither refused ${value} nor sent a request: ${result.stderr.slice(-1500)}`);
  const sent = new URL(request, url).searchParams.get('timeout');
  // Go's Duration.String() is itself a Go duration ("1m30s", "500ms"), which our parser reads.
  return sent === null ? 0 : parseRequestTimeout(sent);
}

/** Ours: milliseconds, or 'refused' for a usage error. */
function oursReads(value: string): number | 'refused' {
  try {
    return parseRequestTimeout(value);
  } catch {
    return 'refused';
  }
}

// Whole numbers (with signs and zeros), Go durations of every unit, fractions, combinations, and
// what kubectl refuses. Negative durations: kubectl sends them and its client bounds nothing by them.
const VALUES = ['0', '7', '+5', '-0', '007', '5s', '1m30s', '2h', '1h0m0.5s', '0.5s', '.5s', '5.s', '300ms', '1500us', '2500µs', '90000000ns', '+2m', '-3s',
  '1.5', '-1', 'abc', '5 s', '5sec', 's', '.s', '1d', '1m30', '0x10', '1e3'];

describe('--request-timeout values read as kubectl reads them', () => {
  it.each(VALUES)('%s', async (value) => {
    const kubectl = await kubectlReads(value);
    // kubectl sends a negative timeout to the server but its client does not bound anything by it.
    expect(oursReads(value)).toEqual(typeof kubectl === 'number' ? Math.max(kubectl, 0) : kubectl);
  });
});
