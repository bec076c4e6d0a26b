// The BuildKit protocol (our .proto files in pkg/buildkit/proto) as a protobuf.js JSON descriptor.
// hack/bundle.ts parses the files at build time and writes the descriptor into the bundle in place
// of the undefined below, so that the bundle and the single executable neither carry the files
// nor parse them on every run; run from source, the files are read and parsed from beside this one.
import { readdirSync, readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

export const BUNDLED_PROTO_DESCRIPTOR: protobuf.INamespace | undefined = undefined;

export function protoDescriptor(): protobuf.INamespace {
  return BUNDLED_PROTO_DESCRIPTOR ?? parseProtoFiles(protoSources());
}

/** The .proto files beside this module, by file name. */
export function protoSources(): Readonly<Record<string, string>> {
  const dir = new URL('./proto/', import.meta.url);
  const files = readdirSync(dir).filter((name) => name.endsWith('.proto'));
  return Object.fromEntries(files.map((name) => [name, readFileSync(new URL(name, dir), 'utf8')]));
}

/**
 * All the files in one descriptor, field names as the files spell them (keepCase), with the
 * well-known types they import (protobuf.js has those built in).
 */
export function parseProtoFiles(sources: Readonly<Record<string, string>>): protobuf.INamespace {
  const root = new protobuf.Root();
  const imported = new Set<string>();
  for (const source of Object.values(sources)) {
    const parsed = protobuf.parse(source, root, { keepCase: true });
    for (const file of parsed.imports ?? []) {
      const common = protobuf.common.get(file);
      if (common && !imported.has(file)) {
        imported.add(file);
        root.addJSON(common.nested ?? {});
      }
    }
  }
  return root.toJSON();
}
