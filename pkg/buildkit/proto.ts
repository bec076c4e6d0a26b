// The BuildKit protocol as grpc-js service definitions, made once, when a command first needs the
// daemon, from the descriptor of our .proto files (./proto-sources.ts: built into the bundle).
// Messages are converted as @grpc/proto-loader converted them (longs and enums as strings,
// defaults filled in), without its file descriptors, which cost a third of the start-up of a
// cached build and which nothing here reads.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { protoDescriptor } from './proto-sources.ts';

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

// Decoded messages: int64 as decimal strings (a nanosecond modTime does not fit in a JavaScript
// number), enums by name, absent fields with their default values.
const DECODED: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true };

/**
 * A Buffer given where a message is expected is that message already encoded, and goes out as it
 * is: the hot paths (./session/encoded.ts) encode file chunks without another copy.
 */
function serializer(type: protobuf.Type): grpc.serialize<object> {
  return (value) => (Buffer.isBuffer(value) ? value : (type.encode(type.fromObject(value)).finish() as Buffer));
}

function deserializer(type: protobuf.Type): grpc.deserialize<object> {
  return (bytes) => type.toObject(type.decode(bytes), DECODED);
}

function serviceDefinition(service: protobuf.Service): ServiceDefinition {
  const methods: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const [request, response] = [method.resolvedRequestType, method.resolvedResponseType] as [protobuf.Type, protobuf.Type];
    methods[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      // grpc-js also accepts implementations and offers client methods under this name.
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return methods;
}

let loaded: BuildkitProtocol | undefined;

export function buildkitProtocol(): BuildkitProtocol {
  if (loaded) return loaded;
  const root = protobuf.Root.fromJSON(protoDescriptor());
  root.resolveAll();
  const service = (name: string) => serviceDefinition(root.lookupService(name));
  loaded = {
    Control: grpc.makeClientConstructor(service('moby.buildkit.v1.Control'), 'moby.buildkit.v1.Control'),
    services: {
      health: service('grpc.health.v1.Health'),
      fileSync: service('moby.filesync.v1.FileSync'),
      fileSend: service('moby.filesync.v1.FileSend'),
      auth: service('moby.filesync.v1.Auth'),
      secrets: service('moby.buildkit.secrets.v1.Secrets'),
      ssh: service('moby.sshforward.v1.SSH'),
    },
  };
  return loaded;
}
