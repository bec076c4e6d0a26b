// Rekor v1 (rekor-server) on 127.0.0.1, on a Trillian tree of its own, signing with a key we make
// (so the trusted root can name it), its search index in MariaDB (no Redis).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet } from './http.ts';
import type { Mariadb } from './mariadb.ts';
import { freePort } from './net.ts';
import { tool } from './paths.ts';
import { readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';
import type { Trillian } from './trillian.ts';

export interface Rekor {
  readonly url: string;
  readonly publicKey: KeyObject;
  readonly treeId: string;
  readonly process: ServiceProcess;
}

export async function startRekor(dir: string, trillian: Trillian, db: Mariadb, options: { readonly detached?: boolean } = {}): Promise<Rekor> {
  const treeId = await trillian.createTree('rekor');
  await db.createDatabase('rekor');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(dir, 'rekor-key.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

  const port = await freePort();
  const [trillianHost, trillianPort] = trillian.rpcAddress.split(':');
  const service = startProcess({
    name: 'rekor-server',
    command: tool('rekor-server'),
    args: [
      'serve',
      `--trillian_log_server.address=${trillianHost}`, `--trillian_log_server.port=${trillianPort}`, `--trillian_log_server.tlog_id=${treeId}`,
      '--rekor_server.address=127.0.0.1', `--port=${port}`, '--rekor_server.hostname=kubectl-build-rekor',
      `--rekor_server.signer=${keyFile}`,
      '--search_index.storage_provider=mysql', `--search_index.mysql.dsn=${db.dsn('rekor')}`,
    ],
    logFile: join(dir, 'rekor-server.log'),
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${port}`;
  await readyOrStop(service, () =>
    waitUntil(async () => ((await httpGet(`${url}/api/v1/log`)).status === 200 ? true : undefined), {
      what: `rekor-server to answer ${url}/api/v1/log`,
      process: service,
      timeoutMs: 30_000,
    }),
  );
  return { url, publicKey, treeId, process: service };
}
