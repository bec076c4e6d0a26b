// API reads tried again against a stand-in API server: what it was asked, how many times, and what
// the caller gets.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { getBuilder } from './builders.ts';
import { loadKubeConnection } from './config.ts';
import { apiAnswer, standInApi } from './testdata/stand-in-api.ts';

const EMPTY_LIST = { kind: 'List', apiVersion: 'v1', metadata: {}, items: [] };
const status = (code: number) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `injected ${code}`, code });

async function connect(answer: Parameters<typeof standInApi>[0], requestTimeoutMs = 5_000) {
  const api = await standInApi(answer);
  return { api, connection: loadKubeConnection({ kubeconfig: api.kubeconfig, requestTimeoutMs }, {}, tmpdir()) };
}

describe('Kubernetes API reads asked again', () => {
  it('reads through an API server that answers 503 twice (its Retry-After of 0 s honoured), then the list', async () => {
    const { api, connection } = await connect((_request, response, before) =>
      before < 2 ? apiAnswer(response, 503, status(503), { 'retry-after': '0' }) : apiAnswer(response, 200, EMPTY_LIST),
    );
    expect(await getBuilder(connection, 'b')).toBeUndefined();
    expect(api.requests).toHaveLength(3);
    expect(new Set(api.requests).size).toBe(1);
  });

  it('reads through a connection cut before the answer, once', async () => {
    const { api, connection } = await connect((request, response, before) => (before === 0 ? request.socket.destroy() : apiAnswer(response, 200, EMPTY_LIST)));
    expect(await getBuilder(connection, 'b')).toBeUndefined();
    expect(api.requests).toHaveLength(2);
  });

  it('gives up after 3 attempts, saying the API server failed', async () => {
    const { api, connection } = await connect((_request, response) => apiAnswer(response, 500, status(500)));
    await expect(getBuilder(connection, 'b')).rejects.toMatchObject({ message: expect.stringMatching(/failed when asked to read the builder "b" \(HTTP 500: injected 500\)$/) });
    expect(api.requests).toHaveLength(3);
  });

  it('does not ask again what an answer settled (403), nor what got no answer in time', async () => {
    const refused = await connect((_request, response) => apiAnswer(response, 403, { ...status(403), message: 'no' }));
    await expect(getBuilder(refused.connection, 'b')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(refused.api.requests).toHaveLength(1);

    const silent = await connect(() => {}, 200);
    await expect(getBuilder(silent.connection, 'b')).rejects.toMatchObject({ message: expect.stringMatching(/did not answer within 0\.2 s/) });
    expect(silent.api.requests).toHaveLength(1);
  });
});
