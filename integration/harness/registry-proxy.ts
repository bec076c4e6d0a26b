// A proxy in front of a real test registry that answers some requests itself: a registry that
// fails (401, 404, 500), lies (a referrers listing naming what is not a bundle), sends too much, or
// changes under a client (a tag moved right after a push). Everything else goes through unchanged,
// credentials included (http-forwarder.ts). Listens on 127.0.0.1.
//   proxyRegistry: for one test, closed when it finishes;
//   useProxiedRegistry: for a file, declared before useBuildkitd({ trust: [...] }) so that the
//   builder pushes through it too; each test sets its interceptions, dropped when it finishes.
import type { ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { writeClientFiles, type ClientFiles } from '../../hack/lib/client-files.ts';
import { startForwarder, type Forwarder, type Interception } from './http-forwarder.ts';
import { scratchDir, type Handle, type TestRegistry } from './index.ts';

export type Fault = Interception;

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
  const forwarder = await startForwarder(registry.url, () => faults);
  onTestFinished(() => forwarder.close());
  const files = writeClientFiles(scratchDir('proxy-clients'), [{ ...registry, host: forwarder.host }]);
  return { host: forwarder.host, files, requests: forwarder.requests, answered: forwarder.answered };
}

/** The registry as seen through the proxy (host, url, files are the proxy's), with what it saw. */
export interface ProxiedRegistry extends TestRegistry {
  /** Every request seen since the file started, as "METHOD /path?query", in order. */
  readonly requests: readonly string[];
  /** Answers matching requests for the rest of the running test. Call it inside a test. */
  intercept(interception: Interception): void;
}

export function useProxiedRegistry(registry: Handle<TestRegistry>): Handle<ProxiedRegistry> {
  const service = useInterceptedService(() => registry().url);
  let value: ProxiedRegistry | undefined;
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb-registry-proxy-'));
    const proxied = { ...registry(), host: service().host, url: service().url };
    value = { ...proxied, files: writeClientFiles(dir, [proxied]), requests: service().requests, intercept: service().intercept };
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!value) throw new Error('the registry proxy is not started: use the handle inside a test');
    return value;
  };
}

/** Any HTTP service (Fulcio, Rekor, an OIDC issuer) behind the forwarder, for a whole file. */
export interface InterceptedService {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly host: string;
  /** Every request seen since the file started, as "METHOD /path?query", in order. */
  readonly requests: readonly string[];
  /** Answers matching requests for the rest of the running test. Call it inside a test. */
  intercept(interception: Interception): void;
}

/** The service at `upstream()` (its URL, read once the services run) behind a forwarder for the enclosing file. */
export function useInterceptedService(upstream: () => string): Handle<InterceptedService> {
  let value: InterceptedService | undefined;
  let forwarder: Forwarder | undefined;
  let interceptions: Interception[] = [];
  beforeAll(async () => {
    forwarder = await startForwarder(upstream(), () => interceptions);
    value = {
      url: forwarder.url,
      host: forwarder.host,
      requests: forwarder.requests,
      intercept: (interception) => {
        interceptions = [...interceptions, interception];
        onTestFinished(() => {
          interceptions = interceptions.filter((other) => other !== interception);
        });
      },
    };
  });
  afterAll(async () => forwarder?.close());
  return () => {
    if (!value) throw new Error('the intercepted service is not started: use the handle inside a test');
    return value;
  };
}

/** Answers with a status and a JSON error body, as a registry does. */
export function status(code: number): Fault['answer'] {
  return (response: ServerResponse) =>
    response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${code}` }] }));
}
