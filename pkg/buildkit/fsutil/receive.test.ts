import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { posixPermissions, receiveTree, type Packet, type PacketChannel } from './receive.ts';
import { GoMode, type WireStat } from './stat.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function stat(path: string, mode: number, modTime: bigint, linkname = ''): WireStat {
  return { path, mode, uid: 1234, gid: 5678, size: '0', modTime: modTime.toString(), linkname, devmajor: '0', devminor: '0', xattrs: {} };
}

/** A daemon that lists `stats`, then answers each REQ with `contents[path]`. */
function fakeDaemon(stats: WireStat[], contents: Record<string, string>): { channel: PacketChannel; sent: Packet[] } {
  const incoming: Packet[] = [...stats.map((s) => ({ type: 'PACKET_STAT' as const, stat: s })), { type: 'PACKET_STAT' }];
  const sent: Packet[] = [];
  const waiting: Array<(packet: Packet | null) => void> = [];
  const deliver = (packet: Packet) => {
    const resolve = waiting.shift();
    if (resolve) resolve(packet);
    else incoming.push(packet);
  };
  return {
    sent,
    channel: {
      send: (packet) => {
        sent.push(packet);
        if (packet.type === 'PACKET_REQ') {
          const path = stats[packet.ID ?? 0]?.path ?? '';
          deliver({ type: 'PACKET_DATA', ID: packet.ID, data: Buffer.from(contents[path] ?? '') });
          deliver({ type: 'PACKET_DATA', ID: packet.ID });
        } else if (packet.type === 'PACKET_FIN') deliver({ type: 'PACKET_FIN' });
      },
      next: () => (incoming.length > 0 ? Promise.resolve(incoming.shift() as Packet) : new Promise((resolve) => waiting.push(resolve))),
    },
  };
}

describe('receiveTree', () => {
  it('writes what buildctl writes: a private new folder, special bits, own owner, hard links before data, nanosecond times', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'kb-receive-')), 'out');
    dirs.push(join(dest, '..'));
    const { channel } = fakeDaemon(
      [
        stat('bin', GoMode.dir + GoMode.setgid + 0o755, 1_600_000_000_111_111_111n),
        stat('bin/tool', GoMode.setuid + 0o755, 1_600_000_000_222_222_222n),
        stat('bin/tool-again', GoMode.setuid + 0o755, 1_600_000_000_222_222_222n, 'bin/tool'),
        stat('link', GoMode.symlink + 0o777, 1_600_000_000_333_333_333n, 'bin/tool'),
        stat('tmp', GoMode.dir + GoMode.sticky + 0o777, 1_600_000_000_000_000_000n),
      ],
      { 'bin/tool': '#!/bin/sh\n' },
    );
    await receiveTree(channel, dest);
    const info = (path: string) => lstatSync(join(dest, path), { bigint: true });
    expect(Number(info('.').mode) & 0o7777).toBe(0o700);
    expect(Number(info('bin').mode) & 0o7777).toBe(0o2755);
    expect(Number(info('tmp').mode) & 0o7777).toBe(0o1777);
    expect(Number(info('bin/tool').mode) & 0o7777).toBe(0o4755);
    expect(readFileSync(join(dest, 'bin/tool-again'), 'utf8')).toBe('#!/bin/sh\n');
    expect(info('bin/tool-again').ino).toBe(info('bin/tool').ino);
    expect(readlinkSync(join(dest, 'link'))).toBe('bin/tool');
    expect([info('bin').mtimeNs, info('bin/tool').mtimeNs, info('link').mtimeNs, info('tmp').mtimeNs]).toEqual([
      1_600_000_000_111_111_111n,
      1_600_000_000_222_222_222n,
      1_600_000_000_333_333_333n,
      1_600_000_000_000_000_000n,
    ]);
    // The daemon's owners are not kept: everything belongs to whoever receives.
    expect(info('bin/tool').uid).toBe(BigInt(process.getuid?.() ?? 0));
  });

  it('converts Go mode bits to chmod bits', () => {
    expect(posixPermissions(GoMode.setuid + GoMode.setgid + GoMode.sticky + 0o751)).toBe(0o7751);
    expect(posixPermissions(GoMode.dir + 0o700)).toBe(0o700);
  });
});
