// A push the daemon could not finish, told by its cause; the messages are BuildKit v0.34's own.
import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { buildErrorFromSolve } from './errors.ts';

const solveError = (details: string) => ({ code: 2, details, message: details }) as unknown as grpc.ServiceError;
const told = (details: string) => {
  const error = buildErrorFromSolve(solveError(details), { dockerfile: 'Dockerfile' });
  return { message: error.message, hint: error.hint };
};

describe('buildErrorFromSolve, for a failed push', () => {
  const push = 'failed to push 127.0.0.1:5000/app:1: ';

  it('credentials refused: names the registry, points at the docker config', () => {
    const said = told(`${push}unexpected status from PUT request to http://127.0.0.1:5000/v2/app/manifests/1: 401 Unauthorized`);
    expect(said.message).toMatch(/^the registry 127\.0\.0\.1:5000 refused the push: /);
    expect(said.hint).toMatch(/credentials/);
  });

  it('the registry out of reach: says the builder could not reach it, not that credentials are wrong', () => {
    for (const cause of ['failed to do request: Head "http://127.0.0.1:5000/v2/app/blobs/sha256:x": dial tcp 127.0.0.1:5000: connect: connection refused', 'failed to do request: Put "x": net/http: HTTP/1.x transport connection broken: malformed MIME header']) {
      const said = told(`${push}${cause}`);
      expect(said.message).toMatch(/^the builder lost its connection to the registry 127\.0\.0\.1:5000 while pushing: /);
      expect(said.hint).toMatch(/reachable from the builder/);
    }
  });

  it('a server error: says the registry failed', () => {
    const said = told(`${push}unexpected status from POST request to http://127.0.0.1:5000/v2/app/blobs/uploads/: 503 Service Unavailable`);
    expect(said.message).toMatch(/^the registry 127\.0\.0\.1:5000 failed the push: .*503/);
    expect(said.hint).toMatch(/server error/);
    // After BuildKit's own retries the message may lose its "failed to push" prefix: the URL still names the registry.
    expect(told('failed commit on ref "manifest-sha256:x": unexpected status from PUT request to http://127.0.0.1:5000/v2/app/manifests/1: 500 Internal Server Error').message).toMatch(
      /^the registry 127\.0\.0\.1:5000 failed the push: /,
    );
  });

  it('reads the status after the URL: a registry whose port holds 401 or 403 that fails with a 5xx is said to fail, not to refuse', () => {
    for (const port of ['38401', '40301', '5401']) {
      const said = told(`failed to push 127.0.0.1:${port}/app:1: unexpected status from PUT request to http://127.0.0.1:${port}/v2/app/manifests/1: 500 Internal Server Error`);
      expect(said.message).toMatch(new RegExp(`^the registry 127\\.0\\.0\\.1:${port} failed the push: `));
    }
    // And the older wording, without the request.
    expect(told(`${push}unexpected status: 401 Unauthorized`).message).toMatch(/refused the push/);
    // A port of 500 is not a server error either.
    expect(told('failed to push 127.0.0.1:500/app:1: unexpected status from PUT request to http://127.0.0.1:500/v2/app/manifests/1: 403 Forbidden').message).toMatch(/refused the push/);
  });
});

describe('buildErrorFromSolve, for a lost daemon', () => {
  it('names the daemon the build was talking to', () => {
    const error = buildErrorFromSolve({ code: 14, details: 'Connection dropped', message: 'Connection dropped' } as unknown as grpc.ServiceError, {
      dockerfile: 'Dockerfile',
      daemon: 'tcp://127.0.0.1:1234',
    });
    expect(error.message).toBe('lost the connection to the BuildKit daemon at tcp://127.0.0.1:1234: Connection dropped');
  });
});
