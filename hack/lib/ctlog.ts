// A certificate transparency log (Trillian's CTFE, ct_server) on 127.0.0.1: Fulcio submits each
// precertificate to it and embeds the signed certificate timestamp (SCT) it answers, which cosign
// checks against the CT log key in the trusted root.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet } from './http.ts';
import { tool } from './paths.ts';
import { readyOrStop, startProcess, waitUntil, type ServiceProcess } from './process.ts';
import type { Trillian } from './trillian.ts';

export interface CtLog {
  /** Base URL with the log's prefix, as Fulcio's --ct-log-url takes it. */
  readonly url: string;
  readonly publicKey: KeyObject;
  readonly process: ServiceProcess;
}

export interface CtLogOptions {
  readonly trillian: Trillian;
  /** PEM file of the roots the log accepts chains to (Fulcio's CA). */
  readonly rootsFile: string;
  /** host:port to listen on: Fulcio is told the URL before the log can start. */
  readonly address: string;
  readonly detached?: boolean;
}

const PREFIX = 'kubectl-build';

export async function startCtLog(dir: string, options: CtLogOptions): Promise<CtLog> {
  const treeId = await options.trillian.createTree('ctlog');
  // CTFE reads a PEM key only in the legacy encrypted form (Proc-Type/DEK-Info), with a password.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const password = randomBytes(12).toString('hex');
  const keyFile = join(dir, 'ctlog-key.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-256-cbc', passphrase: password }), { mode: 0o600 });

  const configFile = join(dir, 'ctlog.textproto');
  writeFileSync(
    configFile,
    [
      'config {',
      `  log_id: ${treeId}`,
      `  prefix: ${JSON.stringify(PREFIX)}`,
      `  roots_pem_file: ${JSON.stringify(options.rootsFile)}`,
      '  private_key {',
      '    [type.googleapis.com/keyspb.PEMKeyFile] {',
      `      path: ${JSON.stringify(keyFile)}`,
      `      password: ${JSON.stringify(password)}`,
      '    }',
      '  }',
      '  ext_key_usages: "CodeSigning"',
      '}',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  const service = startProcess({
    name: 'ct_server',
    command: tool('ct_server'),
    args: [
      `--log_config=${configFile}`, `--log_rpc_server=${options.trillian.rpcAddress}`, `--http_endpoint=${options.address}`,
      // Quotas per submitter and per intermediate need a quota backend we do not run.
      '--quota_remote=false', '--quota_intermediate=false', '--logtostderr',
    ],
    logFile: join(dir, 'ct_server.log'),
    detached: options.detached,
  });
  const url = `http://${options.address}/${PREFIX}`;
  await readyOrStop(service, () =>
    waitUntil(async () => ((await httpGet(`${url}/ct/v1/get-sth`)).status === 200 ? true : undefined), {
      what: `ct_server to answer ${url}/ct/v1/get-sth`,
      process: service,
      timeoutMs: 30_000,
    }),
  );
  return { url, publicKey, process: service };
}
