// Our BuildKit .proto files (pkg/buildkit/proto, carried inside the bundle) parsed into grpc-js
// definitions, once, when a command first needs the daemon.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { protoSources } from './proto-sources.ts';

/** All our files in one protobuf.js root, with the well-known types they import (protobuf.js has those built in). */
function protoRoot(): protobuf.Root {
  const root = new protobuf.Root();
  const imported = new Set<string>();
  for (const source of Object.values(protoSources())) {
    const parsed = protobuf.parse(source, root, { keepCase: true });
    for (const file of parsed.imports ?? []) {
      const common = protobuf.common.get(file);
      if (common && !imported.has(file)) {
        imported.add(file);
        root.addJSON(common.nested ?? {});
      }
    }
  }
  return root;
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
  const definition = protoLoader.fromJSON(protoRoot().toJSON(), {
    // Field names stay as the .proto files spell them (protoRoot parses with keepCase).
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
