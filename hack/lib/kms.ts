// An AWS-KMS-compatible server on 127.0.0.1 (moto's), for awskms:// signing tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet } from './http.ts';
import { freePort } from './net.ts';
import { tool } from './paths.ts';
import { readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';

export interface KmsServer {
  /** host:port, as it goes into awskms://HOST:PORT/KEY. */
  readonly hostPort: string;
  readonly endpoint: string;
  readonly process: ServiceProcess;
}

export async function startKms(dir: string): Promise<KmsServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const service = startProcess({
    name: 'moto_server',
    command: tool('moto_server'),
    args: ['-H', '127.0.0.1', '-p', String(port)],
    logFile: join(dir, 'moto.log'),
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await readyOrStop(service, () =>
    waitUntil(async () => ((await httpGet(`${endpoint}/moto-api/`)).status < 500 ? true : undefined), {
      what: `moto to answer at ${endpoint}`,
      process: service,
      timeoutMs: 30_000,
    }),
  );
  return { hostPort: `127.0.0.1:${port}`, endpoint, process: service };
}
