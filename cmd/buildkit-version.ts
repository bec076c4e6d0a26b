// `kubectl buildkit version`: the daemon's version and its workers' platforms, from Info and
// ListWorkers. Until in-cluster builders land, the daemon is the one --builder-addr or
// BUILDKIT_HOST names (as for kubectl build).
import { parseBuilderAddress } from '../pkg/buildkit/address.ts';
import { ControlClient } from '../pkg/buildkit/control.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';

export interface VersionArgv {
  'builder-addr'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
}

export async function versionCommand(argv: VersionArgv): Promise<void> {
  const address = argv['builder-addr'] ?? process.env.BUILDKIT_HOST;
  if (!address) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', 'finding the builder in the cluster is not implemented in this version of kubectl-build', {
      hint: 'name the daemon with --builder-addr unix:///path/buildkitd.sock or BUILDKIT_HOST',
    });
  }
  const control = new ControlClient(parseBuilderAddress(address), { ca: argv['tls-ca'], cert: argv['tls-cert'], key: argv['tls-key'] });
  try {
    await control.waitUntilReady();
    const [info, workers] = await Promise.all([control.info(), control.listWorkers()]);
    process.stdout.write(`${info.package} ${info.version}${info.revision ? ` (${info.revision})` : ''}\n`);
    for (const worker of workers) {
      const platforms = worker.platforms.map((p) => [p.OS, p.Architecture, p.Variant].filter(Boolean).join('/'));
      process.stdout.write(`worker ${worker.ID}: ${platforms.join(', ')}\n`);
    }
  } finally {
    control.close();
  }
}
