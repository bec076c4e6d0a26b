// Trillian (log server + log signer) on 127.0.0.1 over a MariaDB database: the Merkle tree service
// behind Rekor v1 and the CT log. Built by hack/tools.sh, which also puts the MySQL schema of the
// same version beside the binaries.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { httpGet } from './http.ts';
import type { Mariadb } from './mariadb.ts';
import { freePort } from './net.ts';
import { tool } from './paths.ts';
import { readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';

const run = promisify(execFile);
// Both servers sleep 5 s (the signer 10 s) after a clean shutdown "to tidy up", with nothing left to
// do: everything they wrote is committed in MariaDB. A second is enough before SIGKILL.
const LINGER_GRACE_MS = 1_000;

export interface Trillian {
  /** host:port of the gRPC API (log and admin). */
  readonly rpcAddress: string;
  readonly processes: readonly ServiceProcess[];
  /** Creates and initialises a LOG tree; resolves to its tree ID. */
  createTree(displayName: string): Promise<string>;
}

export async function startTrillian(
  dir: string,
  db: Mariadb,
  track: (p: ServiceProcess) => void,
  options: { readonly detached?: boolean } = {},
): Promise<Trillian> {
  const server = tool('trillian_log_server');
  const schema = join(dirname(realpathSync(server)), 'storage.sql');
  await db.createDatabase('trillian', schema);
  const storage = ['--storage_system=mysql', `--mysql_uri=${db.dsn('trillian')}`, '--quota_system=mysql'];

  const rpcAddress = `127.0.0.1:${await freePort()}`;
  const serverHttp = `127.0.0.1:${await freePort()}`;
  const logServer = startProcess({
    name: 'trillian_log_server',
    command: server,
    args: [...storage, `--rpc_endpoint=${rpcAddress}`, `--http_endpoint=${serverHttp}`, '--tree_gc=false', '--logtostderr'],
    logFile: join(dir, 'trillian_log_server.log'),
    stopGraceMs: LINGER_GRACE_MS,
    detached: options.detached,
  });
  track(logServer);
  await healthy(logServer, serverHttp);

  const signerHttp = `127.0.0.1:${await freePort()}`;
  const signer = startProcess({
    name: 'trillian_log_signer',
    command: tool('trillian_log_signer'),
    args: [
      ...storage, `--rpc_endpoint=127.0.0.1:${await freePort()}`, `--http_endpoint=${signerHttp}`,
      '--force_master', '--sequencer_interval=50ms', '--batch_size=100', '--num_sequencers=1', '--logtostderr',
    ],
    logFile: join(dir, 'trillian_log_signer.log'),
    stopGraceMs: LINGER_GRACE_MS,
    detached: options.detached,
  });
  track(signer);
  await healthy(signer, signerHttp);

  return {
    rpcAddress,
    processes: [logServer, signer],
    async createTree(displayName) {
      try {
        const { stdout } = await run(tool('createtree'), [`--admin_server=${rpcAddress}`, '--tree_type=LOG', `--display_name=${displayName}`], { timeout: 30_000 });
        const treeId = stdout.trim();
        if (!/^\d+$/.test(treeId)) throw new Error(`createtree printed "${treeId}", not a tree ID`);
        return treeId;
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr ?? '';
        throw new Error(`createtree ${displayName} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, { cause: error });
      }
    },
  };
}

function healthy(service: ServiceProcess, httpAddress: string): Promise<true> {
  return readyOrStop(service, () =>
    waitUntil(async () => ((await httpGet(`http://${httpAddress}/healthz`)).status === 200 ? true : undefined), {
      what: `${service.name} to answer http://${httpAddress}/healthz`,
      process: service,
      timeoutMs: 30_000,
    }),
  );
}
