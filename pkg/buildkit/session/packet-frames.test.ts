import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { protoSources } from '../proto-sources.ts';
import type { WireStat } from '../fsutil/stat.ts';
import { FrameBatch } from './packet-frames.ts';

// The Packets as protobuf.js decodes them from our .proto files, the way the daemon's decoder reads the same fields.
const root = new protobuf.Root();
for (const source of Object.values(protoSources())) protobuf.parse(source, root, { keepCase: true });
const Packet = root.lookupType('fsutil.types.Packet');

/** Splits a batch into its gRPC frames and decodes each message. */
function decodeFrames(bytes: Buffer): object[] {
  const packets: object[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    expect(bytes[offset]).toBe(0);
    const end = offset + 5 + bytes.readUInt32BE(offset + 1);
    expect(end).toBeLessThanOrEqual(bytes.length);
    packets.push(Packet.toObject(Packet.decode(bytes.subarray(offset + 5, end)), { longs: String, enums: String, defaults: true }));
    offset = end;
  }
  return packets;
}

const file: WireStat = {
  path: 'd0/f1',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: '100',
  modTime: '1764662400123456789',
  linkname: '',
  devmajor: '0',
  devminor: '0',
  xattrs: {},
};

// Each int64 on both sides of the 32-bit and 53-bit boundaries, negative ones (a time before
// 1970), and the extremes; paths of every UTF-8 width; every field set.
const stats: Array<[string, WireStat]> = [
  ['a regular file', file],
  ['a directory (the top bit of mode)', { ...file, path: 'd0', mode: 2 ** 31 + 0o755, size: '0' }],
  ['a symlink', { ...file, path: 'link', mode: 2 ** 27 + 0o777, size: '5', linkname: 'd0/f1' }],
  ['a hardlink, not root-owned', { ...file, path: 'b', linkname: 'a', uid: 1000, gid: 2 ** 32 - 1 }],
  ['a device', { ...file, path: 'dev/null', mode: 2 ** 26 + 2 ** 21 + 0o666, size: '0', devmajor: '1', devminor: '3' }],
  ['non-ASCII names', { ...file, path: 'ü/日本/🐳.txt', linkname: 'é' }],
  ['extended attributes', { ...file, xattrs: { 'user.a': Buffer.from('1'), 'security.capability': Buffer.alloc(300, 7) } }],
  ...['4294967295', '4294967296', '9007199254740991', '9007199254740993', '9223372036854775807', '-1', '-1000000000', '-9223372036854775808'].map(
    (value): [string, WireStat] => [`the int64 ${value}`, { ...file, size: value, modTime: value, devmajor: value, devminor: value }],
  ),
  ['a long path', { ...file, path: 'x/'.repeat(2000) + 'y' }],
];

describe('STAT packets encoded by hand', () => {
  it.each(stats)('%s decodes to the same Stat', (_, stat) => {
    const batch = new FrameBatch(64);
    batch.addStat(stat);
    expect(decodeFrames(batch.take())).toEqual([{ type: 'PACKET_STAT', stat, ID: 0, data: Buffer.alloc(0) }]);
  });

  it('frames follow one another in a batch, which grows past its capacity and starts anew once taken', () => {
    const batch = new FrameBatch(100);
    for (const [, stat] of stats) batch.addStat(stat);
    batch.addStat();
    expect(batch.bytes).toBeGreaterThan(100);
    const decoded = decodeFrames(batch.take());
    expect(decoded.map((packet) => (packet as { stat: WireStat | null }).stat)).toEqual([...stats.map(([, stat]) => stat), null]);
    expect(batch.bytes).toBe(0);
    batch.addFin();
    expect(decodeFrames(batch.take())).toEqual([{ type: 'PACKET_FIN', stat: null, ID: 0, data: Buffer.alloc(0) }]);
  });

  it('a STAT without a stat ends the listing; ERR carries its message', () => {
    const batch = new FrameBatch(16);
    batch.addStat();
    batch.addError('open /ctx/ü: permission denied');
    expect(decodeFrames(batch.take())).toEqual([
      { type: 'PACKET_STAT', stat: null, ID: 0, data: Buffer.alloc(0) },
      { type: 'PACKET_ERR', stat: null, ID: 0, data: Buffer.from('open /ctx/ü: permission denied') },
    ]);
  });

  it('DATA packets carry the bytes asked for, and the empty one ends the file', () => {
    const batch = new FrameBatch(16);
    const bytes = Buffer.alloc(70_000, 0x5a);
    batch.addData(2 ** 32 - 1, bytes, 200);
    batch.addData(300, bytes, 70_000);
    batch.addData(300, bytes, 0);
    expect(decodeFrames(batch.take())).toEqual([
      { type: 'PACKET_DATA', stat: null, ID: 2 ** 32 - 1, data: bytes.subarray(0, 200) },
      { type: 'PACKET_DATA', stat: null, ID: 300, data: bytes },
      { type: 'PACKET_DATA', stat: null, ID: 300, data: Buffer.alloc(0) },
    ]);
  });

  it('leaves zero values out, as Go does: a root-owned empty file is its path, mode and time', () => {
    const batch = new FrameBatch(64);
    batch.addStat({ ...file, size: '0' });
    const frame = batch.take();
    // Packet{stat (2 + path 7 + mode 3 + modTime 10)}: type STAT, uid, gid, size, linkname and devices absent.
    expect(frame.length).toBe(5 + 2 + 7 + 3 + 10);
  });
});
