import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceNumbers, GoMode } from './stat.ts';
import { inByteOrder, walkContext, type WalkOptions } from './walk.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kb-walk-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    if (path.endsWith('/')) mkdirSync(join(root, path), { recursive: true });
    else writeFileSync(join(root, path), content);
  }
  return root;
}

async function paths(root: string, options?: WalkOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of walkContext(root, options)) out.push(entry.stat.path);
  return out;
}

describe('walkContext', () => {
  it('sends a directory before its children, names in byte order, root left out', async () => {
    const root = tree({ 'b/z.txt': '', 'b/a.txt': '', 'B.txt': '', 'a.txt': '', 'a/inner/deep.txt': '' });
    expect(await paths(root)).toEqual(['B.txt', 'a', 'a/inner', 'a/inner/deep.txt', 'a.txt', 'b', 'b/a.txt', 'b/z.txt']);
  });

  it('leaves out excluded paths and whole excluded directories', async () => {
    const root = tree({ 'app.js': '', 'node_modules/x/index.js': '', 'debug.log': '', 'src/main.js': '' });
    expect(await paths(root, { excludes: ['node_modules', '*.log'] })).toEqual(['app.js', 'src', 'src/main.js']);
  });

  it('sends the excluded parent of a re-included file, once and before it', async () => {
    const root = tree({ 'docs/a.md': '', 'docs/keep/me.md': '', 'docs/keep/not.md': '', 'z.txt': '' });
    expect(await paths(root, { excludes: ['docs', '!docs/keep/me.md'] })).toEqual(['docs', 'docs/keep', 'docs/keep/me.md', 'z.txt']);
  });

  it('sends only included paths and their parents when includes are given', async () => {
    const root = tree({ 'Dockerfile': '', 'src/a.go': '', 'src/b.txt': '', 'other/c.go': '' });
    expect(await paths(root, { includes: ['src/*.go'] })).toEqual(['src', 'src/a.go']);
    expect(await paths(root, { includes: ['Dockerfile'] })).toEqual(['Dockerfile']);
  });

  it('follows a followpath symlink to its target inside the context', async () => {
    const root = tree({ 'build/Dockerfile.real': 'FROM scratch\n', 'other.txt': '' });
    symlinkSync('build/Dockerfile.real', join(root, 'Dockerfile'));
    expect(await paths(root, { followPaths: ['Dockerfile'] })).toEqual(['Dockerfile', 'build', 'build/Dockerfile.real']);
  });

  it('describes files with Go mode bits, sizes, nanosecond mtimes, symlinks and hardlinks', async () => {
    const root = tree({ 'run.sh': '#!/bin/sh\n', 'data/': '' });
    chmodSync(join(root, 'run.sh'), 0o4755);
    utimesSync(join(root, 'run.sh'), 1_700_000_000.5, 1_700_000_000.5);
    symlinkSync('run.sh', join(root, 'link'));
    linkSync(join(root, 'run.sh'), join(root, 'zz-hard'));
    const entries = [];
    for await (const entry of walkContext(root)) entries.push(entry);
    const byPath = Object.fromEntries(entries.map((e) => [e.stat.path, e]));

    expect(byPath.data?.stat.mode).toBe(GoMode.dir + 0o755);
    expect(byPath.data?.hasData).toBe(false);
    expect(byPath['run.sh']?.stat).toMatchObject({ mode: GoMode.setuid + 0o755, size: '10', modTime: '1700000000500000000' });
    expect(byPath['run.sh']?.hasData).toBe(true);
    expect(byPath.link?.stat).toMatchObject({ mode: GoMode.symlink + 0o777, linkname: 'run.sh' });
    // fsutil keeps a hardlink's own size (its data still comes from the first name).
    expect(byPath['zz-hard']?.stat).toMatchObject({ linkname: 'run.sh', size: '10' });
    expect(byPath['zz-hard']?.hasData).toBe(false);
  });

  it('sends a socket as an empty plain file, and a fifo as a named pipe, as fsutil does', async () => {
    const root = tree({ 'a.txt': '' });
    execFileSync('mkfifo', ['-m', '0640', join(root, 'fifo')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'socket'), resolve));
    try {
      const entries = [];
      for await (const entry of walkContext(root)) entries.push(entry);
      const byPath = Object.fromEntries(entries.map((e) => [e.stat.path, e]));
      expect(byPath.fifo?.stat.mode).toBe(GoMode.namedPipe + 0o640);
      expect(byPath.fifo?.hasData).toBe(false);
      expect((byPath.socket?.stat.mode ?? 0) & ~0o777).toBe(0);
      expect(byPath.socket).toMatchObject({ hasData: true, isSocket: true });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('deviceNumbers', () => {
  it('splits st_rdev as fsutil does', () => {
    // /dev/null is 1,3; a minor above 255 goes in the high bits.
    expect(deviceNumbers(0x103n)).toEqual({ major: 1n, minor: 3n });
    expect(deviceNumbers(0x12300803n)).toEqual({ major: 8n, minor: 0x12300n + 3n });
  });
});

describe('inByteOrder', () => {
  const byBytes = (names: string[]) => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

  it('sorts as Go sorts strings, by their UTF-8 bytes, with and without characters past U+FFFF', () => {
    const bmp = ['b', 'B', 'a.txt', 'a', '_', 'é', 'z', '\uE000', '\uFFFD', 'ü', '日本', '10', '9'];
    expect(inByteOrder(bmp)).toEqual(byBytes(bmp));
    // U+1F433 is a surrogate pair in UTF-16, below U+E000 there, but above it in UTF-8.
    const astral = [...bmp, '🐳', 'a🐳', 'a\uFFFD'];
    expect(inByteOrder(astral)).toEqual(byBytes(astral));
    expect(inByteOrder(astral).indexOf('🐳')).toBeGreaterThan(inByteOrder(astral).indexOf('\uFFFD'));
  });
});
