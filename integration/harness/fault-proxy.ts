// Toxiproxy (hack/tools.sh builds it) in front of one TCP service, for the fault matrix
// (integration/faults-*.test.ts): the CLI and buildkitd reach the service through 127.0.0.1:PORT,
// and a test turns faults on for its own duration through Toxiproxy's HTTP API:
//   refuse()        nothing listens any more (the proxy is disabled: connection refused)
//   resetAfter(n)   each connection is closed once n bytes came back from the service (limit_data)
//   resetPeer()     each connection is reset (RST) as soon as it carries data (reset_peer)
//   blackhole()     bytes go in, nothing comes back, the connection stays open (timeout 0)
//   latency(ms)     every answer is held back by ms
//   slowUpload(kbs) what clients send goes through at kbs KB/s (bandwidth, upstream): a slow push
// Faults are removed when the test finishes, so the next one starts from a healthy service.
//
//   const faulty = useFaultProxy('registry', () => registry().host);
//   it('...', async () => { await faulty().refuse(); faulty().host; });
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { writeClientFiles } from '../../hack/lib/client-files.ts';
import { freePort } from '../../hack/lib/net.ts';
import { tool } from '../../hack/lib/paths.ts';
import { readyOrStop, startProcess, waitUntil } from '../../hack/lib/process.ts';
import { declareService, type Handle, type TestRegistry } from './index.ts';

export interface FaultProxy {
  /** 127.0.0.1:PORT, where the service is reached through the proxy. */
  readonly host: string;
  /** The service behind it, host:port. */
  readonly upstream: string;
  refuse(): Promise<void>;
  resetAfter(bytes: number): Promise<void>;
  resetPeer(): Promise<void>;
  blackhole(): Promise<void>;
  latency(ms: number): Promise<void>;
  slowUpload(kilobytesPerSecond: number): Promise<void>;
}

interface Toxic {
  readonly type: 'limit_data' | 'reset_peer' | 'timeout' | 'latency' | 'bandwidth';
  readonly attributes: Record<string, number>;
  /** Which way the toxic acts: on what the service sends back (the default), or on what it is sent. */
  readonly stream?: 'downstream' | 'upstream';
}

/** One Toxiproxy server and one proxy in it, started before the tests of the scope it is declared in. */
export function useFaultProxy(name: string, upstream: () => string): Handle<FaultProxy> {
  return declareService(`toxiproxy-${name}`, async (dir, track) => {
    const apiPort = await freePort();
    const server = startProcess({
      name: 'toxiproxy-server',
      command: tool('toxiproxy-server'),
      args: ['-host', '127.0.0.1', '-port', String(apiPort)],
      logFile: join(dir, 'toxiproxy.log'),
    });
    track(server);
    const api = `http://127.0.0.1:${apiPort}`;
    await readyOrStop(server, () =>
      waitUntil(async () => (await fetch(`${api}/version`).then((answer) => answer.ok, () => false)) || undefined, {
        what: `toxiproxy to answer at ${api}`,
        process: server,
        timeoutMs: 15_000,
      }),
    );
    const target = upstream();
    const created = (await call(api, 'POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: target, enabled: true })) as { listen: string };
    return proxyHandle(api, name, created.listen, target);
  });
}

function proxyHandle(api: string, name: string, host: string, upstream: string): FaultProxy {
  // Every fault is undone when the running test finishes: the proxy enabled, its toxics removed.
  const inject = async (toxic: Toxic) => {
    onTestFinished(() => call(api, 'DELETE', `/proxies/${name}/toxics/${toxic.type}`).then(() => undefined));
    await call(api, 'POST', `/proxies/${name}/toxics`, { name: toxic.type, type: toxic.type, stream: toxic.stream ?? 'downstream', toxicity: 1, attributes: toxic.attributes });
  };
  return {
    host,
    upstream,
    refuse: async () => {
      onTestFinished(() => call(api, 'POST', `/proxies/${name}`, { enabled: true }).then(() => undefined));
      await call(api, 'POST', `/proxies/${name}`, { enabled: false });
    },
    resetAfter: (bytes) => inject({ type: 'limit_data', attributes: { bytes } }),
    resetPeer: () => inject({ type: 'reset_peer', attributes: { timeout: 0 } }),
    blackhole: () => inject({ type: 'timeout', attributes: { timeout: 0 } }),
    latency: (ms) => inject({ type: 'latency', attributes: { latency: ms, jitter: 0 } }),
    slowUpload: (rate) => inject({ type: 'bandwidth', attributes: { rate }, stream: 'upstream' }),
  };
}

/** A call to Toxiproxy's API; anything but a 2xx is the test's failure, said with Toxiproxy's words. */
async function call(api: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const answer = await fetch(`${api}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${answer.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** A test registry as reached through a fault proxy: host, url and client files are the proxy's. */
export interface FaultyRegistry extends TestRegistry {
  readonly faults: FaultProxy;
}

/**
 * `registry` behind its own fault proxy, declared before useBuildkitd({ trust: [...] }) so that the
 * builder pushes through it too. Assertions on what was stored read `registry` itself.
 */
export function useFaultyRegistry(registry: Handle<TestRegistry>): Handle<FaultyRegistry> {
  const faults = useFaultProxy('registry', () => registry().host);
  return declareService('faulty-registry-files', async (dir) => {
    const upstream = registry();
    const proxied = { ...upstream, host: faults().host, url: `${upstream.url.split('://')[0]}://${faults().host}` };
    return { ...proxied, files: writeClientFiles(dir, [proxied]), faults: faults() };
  });
}
