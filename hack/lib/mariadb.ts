// A throwaway MariaDB server (Debian's mariadb-server) on 127.0.0.1, for Trillian's storage and
// Rekor's search index. Its data folder lives in `dir`; it trusts every local connection
// (--skip-grant-tables), which is what a test database on loopback needs and no more.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';
import { logTail, readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';

const run = promisify(execFile);

export interface Mariadb {
  readonly port: number;
  readonly process: ServiceProcess;
  /** A go-sql-driver/mysql DSN for `database`, as Trillian and Rekor take it. */
  dsn(database: string): string;
  /** Creates `database` and runs the SQL file in it, if one is given. */
  createDatabase(database: string, schemaFile?: string): Promise<void>;
}

// Small InnoDB files: the defaults allocate ~100 MB of redo log per server.
const INNODB = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'];

export async function startMariadb(dir: string, options: { readonly detached?: boolean } = {}): Promise<Mariadb> {
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'data');
  // A fresh database each start, and a fresh log: readiness is read from the log's tail, where an
  // earlier run's "ready for connections" would answer for a server that is not up yet.
  rmSync(dataDir, { recursive: true, force: true });
  writeFileSync(join(dir, 'mariadbd.log'), '');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  await runLogged(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot, ...INNODB],
    join(dir, 'install-db.log'),
  );
  const port = await freePort();
  const logFile = join(dir, 'mariadbd.log');
  const service = startProcess({
    name: 'mariadbd',
    command: mariadbd(),
    args: [
      '--no-defaults', `--datadir=${dataDir}`, `--socket=${join(dir, 'mariadbd.sock')}`, `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--bind-address=127.0.0.1', `--port=${port}`, '--skip-grant-tables', '--skip-log-bin', `--log-error=${logFile}`, ...asRoot, ...INNODB,
    ],
    logFile,
    detached: options.detached,
  });
  await readyOrStop(service, () =>
    waitUntil(async () => (/ready for connections/.test(logTail(logFile, 20)) ? true : undefined), {
      what: `mariadbd to accept connections on 127.0.0.1:${port}`,
      process: service,
      timeoutMs: 60_000,
    }),
  );
  const client = ['--no-defaults', '--protocol=tcp', '-h127.0.0.1', `-P${port}`, '-uroot'];
  return {
    port,
    process: service,
    dsn: (database) => `root@tcp(127.0.0.1:${port})/${database}?parseTime=true`,
    async createDatabase(database, schemaFile) {
      await run('mariadb', [...client, '-e', `CREATE DATABASE IF NOT EXISTS \`${database}\``]);
      if (schemaFile) await runWithInput('mariadb', [...client, database], readFileSync(schemaFile));
    },
  };
}

function mariadbd(): string {
  // Debian puts the server in /usr/sbin, which a non-root PATH often lacks.
  return existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd';
}

async function runLogged(command: string, args: string[], logFile: string): Promise<void> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 60_000 });
    writeFileSync(logFile, stdout + stderr);
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    writeFileSync(logFile, stdout + stderr);
    throw new Error(`${command} failed (log: ${logFile}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`, { cause: error });
  }
}

function runWithInput(command: string, args: string[], input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.at(-1)} failed: ${stderr.trim()}`, { cause: error }));
      else resolve();
    });
    child.stdin?.end(input);
  });
}
