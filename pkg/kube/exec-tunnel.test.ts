// The tunnel's answer when the API server refuses the pods/exec request itself (after the builder
// lookup went well): one sentence per cause, against a stand-in API server. The real API server is
// met in integration/cluster.test.ts (RBAC) and faults-kube.test.ts.
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadKubeConnection } from './config.ts';
import { openBuilderTunnel } from './exec-tunnel.ts';
import { apiAnswer, standInApi } from './testdata/stand-in-api.ts';

const status = (code: number) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `injected ${code}`, code });

/** The tunnel's failure when every exec request is answered `code`, and the requests the stand-in saw. */
async function execAnswered(code: number) {
  const api = await standInApi((_request, response) => apiAnswer(response, code, status(code)));
  const connection = loadKubeConnection({ kubeconfig: api.kubeconfig, requestTimeoutMs: 5_000 }, {}, tmpdir());
  const tunnel = await openBuilderTunnel(connection, { pod: 'p-1', builder: 'builder "b"' });
  // gRPC dialling the tunnel's socket is what opens the exec.
  const socket = connect({ path: tunnel.address.target.slice('unix://'.length) });
  socket.on('error', () => undefined);
  const failure = await tunnel.failure.catch((error: unknown) => error);
  socket.destroy();
  await tunnel.close();
  return { failure, requests: api.requests };
}

describe('openBuilderTunnel, the exec request refused by the API server', () => {
  it.each([
    [403, /^you are not allowed to create pods\/exec in context "x", namespace "ns", which kubectl build needs to reach builder "b"$/, /ask your cluster admin for a Role/],
    [401, /^the Kubernetes API did not accept your credentials/, /log in again/],
    [404, /^the pod p-1 of builder "b" is gone/, /another pod of the builder will be used/],
    [500, /^the Kubernetes API failed the exec request to the pod p-1 of builder "b" \(HTTP 500, context "x", namespace "ns"\)$/, /try again in a moment/],
    [503, /^the Kubernetes API failed the exec request to the pod p-1 of builder "b" \(HTTP 503, context "x", namespace "ns"\)$/, /try again in a moment/],
  ] as const)('HTTP %i: one sentence naming the cause, and what to do', async (code, said, hint) => {
    const { failure, requests } = await execAnswered(code);
    expect(failure).toMatchObject({ message: expect.stringMatching(said), hint: expect.stringMatching(hint) });
    expect(requests[0]).toMatch(/^GET \/api\/v1\/namespaces\/ns\/pods\/p-1\/exec\?/);
  });
});
