// Loads our BuildKit .proto files (pkg/buildkit/proto, copied to dist/proto by the bundler) into
// grpc-js definitions, once, when a command first needs the daemon.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_FILES = ['control.proto', 'filesync.proto', 'fsutil.proto', 'secrets.proto', 'ssh.proto', 'health.proto'];

// Beside this file when run from source (tests); dist/proto when bundled (this code is in dist/chunks).
function protoDir(): string {
  for (const candidate of ['./proto/', '../proto/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}control.proto`)) return dir;
  }
  throw new Error('the BuildKit protocol definitions (control.proto) are missing next to the program');
}

export type ServiceDefinition = grpc.ServiceDefinition;
export type ClientConstructor = grpc.ServiceClientConstructor;

export interface BuildkitProtocol {
  readonly Control: ClientConstructor;
  readonly services: {
    readonly health: ServiceDefinition;
    readonly fileSync: ServiceDefinition;
    readonly fileSend: ServiceDefinition;
    readonly auth: ServiceDefinition;
    readonly secrets: ServiceDefinition;
    readonly ssh: ServiceDefinition;
  };
}

let loaded: BuildkitProtocol | undefined;

export function buildkitProtocol(): BuildkitProtocol {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(PROTO_FILES, {
    includeDirs: [protoDir()],
    keepCase: true,
    // int64 as strings: a nanosecond modTime does not fit in a JavaScript number.
    longs: String,
    enums: String,
    defaults: true,
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
  const service = (path: string): ClientConstructor => {
    const found = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
    return found as ClientConstructor;
  };
  loaded = {
    Control: service('moby.buildkit.v1.Control'),
    services: {
      health: service('grpc.health.v1.Health').service,
      fileSync: service('moby.filesync.v1.FileSync').service,
      fileSend: service('moby.filesync.v1.FileSend').service,
      auth: service('moby.filesync.v1.Auth').service,
      secrets: service('moby.buildkit.secrets.v1.Secrets').service,
      ssh: service('moby.sshforward.v1.SSH').service,
    },
  };
  return loaded;
}
