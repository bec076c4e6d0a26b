// The .proto files of the BuildKit protocol (pkg/buildkit/proto), by file name. Run from source,
// they are read from beside this file; hack/bundle.ts writes them into the bundle in place of the
// undefined below, so that the bundle and the single executable carry them inside.
import { readdirSync, readFileSync } from 'node:fs';

export const BUNDLED_PROTO_SOURCES: Readonly<Record<string, string>> | undefined = undefined;

export function protoSources(): Readonly<Record<string, string>> {
  if (BUNDLED_PROTO_SOURCES !== undefined) return BUNDLED_PROTO_SOURCES;
  const dir = new URL('./proto/', import.meta.url);
  const files = readdirSync(dir).filter((name) => name.endsWith('.proto'));
  return Object.fromEntries(files.map((name) => [name, readFileSync(new URL(name, dir), 'utf8')]));
}
