import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeConnection } from './config.ts';
import { kubeError } from './errors.ts';

function connection(): KubeConnection {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://10.0.0.1:6443' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return { config, namespace: 'ns', description: 'context "ctx", namespace "ns"' } as unknown as KubeConnection;
}

/** As fetch reports a failure: TypeError('fetch failed') around undici's error. */
const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('timeout'), { code }) });

describe('kubeError', () => {
  it('says an API server that took the connection and never answered is silent, naming it', () => {
    const error = kubeError(fetchFailed('UND_ERR_CONNECT_TIMEOUT'), connection(), 'read the builder "b"');
    expect([error.code, error.message]).toEqual(['UNAVAILABLE', 'the Kubernetes API at https://10.0.0.1:6443 did not answer when asked to read the builder "b"']);
    expect(error.hint).toMatch(/drops packets/);
  });

  it('says a refused API server cannot be reached, with the code', () => {
    expect(kubeError(fetchFailed('ECONNREFUSED'), connection(), 'read the builder "b"').message).toBe('cannot reach the Kubernetes API at https://10.0.0.1:6443 (ECONNREFUSED) to read the builder "b"');
  });

  it('says an API server that answered 5xx failed, with its code and message, and to try again', () => {
    const failure = Object.assign(new Error('HTTP-Code: 503'), { code: 503, body: JSON.stringify({ kind: 'Status', message: 'etcdserver: leader changed', code: 503 }) });
    const error = kubeError(failure, connection(), 'read the builder "b"');
    expect([error.code, error.message]).toEqual(['UNAVAILABLE', 'the Kubernetes API at https://10.0.0.1:6443 failed when asked to read the builder "b" (HTTP 503: etcdserver: leader changed)']);
    expect(error.hint).toMatch(/try again/);
  });

  it.each(['UND_ERR_SOCKET', 'ECONNRESET'])('says a connection cut before the answer came was cut, naming the API server (%s: closed or reset)', (code) => {
    const error = kubeError(fetchFailed(code), connection(), 'read the builder "b"');
    expect(error.message).toBe('the connection to the Kubernetes API at https://10.0.0.1:6443 was cut before it answered when asked to read the builder "b"');
  });
});
