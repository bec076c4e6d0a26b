// Reads an OCI archive (`-o type=oci`) far enough to compare two builds: the image's layer digests
// and diff_ids, and every entry of every layer with the metadata its tar header carries (PAX
// records included: nanosecond mtimes, long names, xattrs).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  readonly path: string;
  readonly header: string;
  readonly data: Buffer;
}

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function numeric(block: Buffer, offset: number, length: number): bigint {
  const raw = block.subarray(offset, offset + length);
  if ((raw[0] ?? 0) & 0x80) {
    // base-256: big-endian, the top bit of the first byte marks it
    let value = BigInt((raw[0] as number) & 0x7f);
    for (const byte of raw.subarray(1)) value = (value << 8n) | BigInt(byte);
    return value;
  }
  const text = field(block, offset, length).trim();
  return text === '' ? 0n : BigInt(`0o${text}`);
}

function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = Number(data.subarray(offset, space).toString('ascii'));
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

/** Every entry of a tar, with its header's metadata as one comparable line. */
export function tarEntries(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((byte) => byte === 0)) break;
    const size = Number(numeric(block, 124, 12));
    const data = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    const type = String.fromCharCode(block[156] as number) || '0';
    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L' || type === 'K') {
      const text = data.toString('utf8').replace(/\0+$/, '');
      if (type === 'L') longName = text;
      else longLink = text;
      continue;
    }
    const prefix = field(block, 345, 155);
    const name = field(block, 0, 100);
    const path = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${name}` : name);
    const headerFields = [
      `type=${type}`,
      `mode=${numeric(block, 100, 8).toString(8)}`,
      `uid=${pax.get('uid') ?? numeric(block, 108, 8)}`,
      `gid=${pax.get('gid') ?? numeric(block, 116, 8)}`,
      `uname=${pax.get('uname') ?? field(block, 265, 32)}`,
      `gname=${pax.get('gname') ?? field(block, 297, 32)}`,
      `size=${pax.get('size') ?? size}`,
      `mtime=${pax.get('mtime') ?? numeric(block, 136, 12)}`,
      `link=${pax.get('linkpath') ?? longLink ?? field(block, 157, 100)}`,
      `dev=${numeric(block, 329, 8)},${numeric(block, 337, 8)}`,
      ...[...pax].filter(([key]) => !['path', 'linkpath', 'size', 'mtime', 'uid', 'gid', 'uname', 'gname'].includes(key)).map(([key, value]) => `${key}=${JSON.stringify(value)}`),
      `sha256=${createHash('sha256').update(data).digest('hex').slice(0, 16)}`,
    ];
    entries.push({ path, header: headerFields.join(' '), data });
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}

export interface OciImage {
  readonly layerDigests: readonly string[];
  readonly diffIds: readonly string[];
  /** Per layer, `path: header` lines in archive order. */
  readonly layerEntries: ReadonlyArray<readonly string[]>;
}

export function readOciArchive(file: string): OciImage {
  const blobs = new Map(tarEntries(readFileSync(file)).map((entry) => [entry.path, entry.data]));
  const json = (path: string) => JSON.parse((blobs.get(path) ?? Buffer.from('null')).toString('utf8'));
  const blob = (digest: string) => `blobs/${digest.replace(':', '/')}`;
  const index = json('index.json');
  const manifest = json(blob(index.manifests[0].digest));
  const config = json(blob(manifest.config.digest));
  const layers = manifest.layers as Array<{ digest: string; mediaType: string }>;
  return {
    layerDigests: layers.map((layer) => layer.digest),
    diffIds: config.rootfs.diff_ids,
    layerEntries: layers.map((layer) => {
      const bytes = blobs.get(blob(layer.digest)) as Buffer;
      const tar = layer.mediaType.includes('gzip') ? gunzipSync(bytes) : bytes;
      return tarEntries(tar).map((entry) => `${entry.path}: ${entry.header}`);
    }),
  };
}
