// `kubectl buildkit version`: the daemon's version and its workers' platforms, from Info and
// ListWorkers; the daemon is the one --builder-addr or BUILDKIT_HOST names, else the cluster
// builder named by --builder (not created by this command: it only looks).
import { ControlClient, formatPlatform } from '../pkg/buildkit/control.ts';
import { parseDuration } from './options/sign.ts';
import { connectBuilder, type BuilderArgv } from './builder-connection.ts';

export interface VersionArgv extends BuilderArgv {
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'connect-timeout': string;
}

export async function versionCommand(argv: VersionArgv): Promise<void> {
  const builder = await connectBuilder(argv, process.env, { contextKey: '', createIfMissing: false });
  const control = new ControlClient(builder.address, { ca: argv['tls-ca'], cert: argv['tls-cert'], key: argv['tls-key'] }, builder.failure);
  try {
    await control.waitUntilReady(parseDuration('connect-timeout', argv['connect-timeout']));
    const [info, workers] = await Promise.all([control.info(), control.listWorkers()]);
    process.stdout.write(`${info.package} ${info.version}${info.revision ? ` (${info.revision})` : ''}\n`);
    for (const worker of workers) {
      process.stdout.write(`worker ${worker.ID}: ${worker.platforms.map(formatPlatform).join(', ')}\n`);
    }
  } finally {
    control.close();
    await builder.close();
  }
}
