// A build context that exercises every piece of file metadata a context transfer must carry:
// special mode bits, owners, hard and symbolic links of every kind, empty directories, long and
// unicode names, a large file, a socket and a fifo, nanosecond timestamps, unreadable files and a
// .dockerignore'd subset. Built as root (owners and setuid need it).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export interface VariedContext {
  readonly dir: string;
  /** The paths in it, for the report. */
  readonly entries: readonly string[];
  /** Closes the socket's listener (which removes the socket). */
  close(): Promise<void>;
}

const LONG_NAME = `long-${'n'.repeat(140)}.txt`; // > 100 bytes: a PAX or GNU long name in tar
const DEEP_DIR = ['a'.repeat(90), 'b'.repeat(90), 'c'.repeat(90)].join('/'); // path > 255 bytes

/** Deterministic bytes, so a failing run can be compared with the next one. */
function pseudoRandom(size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update('context-transfer').digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export async function variedContext(dir: string): Promise<VariedContext> {
  const entries: string[] = [];
  const file = (path: string, content: string | Buffer, mode = 0o644, owner?: [number, number]) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
    chmodSync(join(dir, path), mode);
    if (owner) chownSync(join(dir, path), ...owner);
    entries.push(path);
  };
  const directory = (path: string, mode = 0o755, owner?: [number, number]) => {
    mkdirSync(join(dir, path), { recursive: true });
    chmodSync(join(dir, path), mode);
    if (owner) chownSync(join(dir, path), ...owner);
    entries.push(`${path}/`);
  };
  const link = (path: string, target: string, owner?: [number, number]) => {
    symlinkSync(target, join(dir, path));
    if (owner) lchownSync(join(dir, path), ...owner);
    entries.push(`${path} -> ${target}`);
  };

  file('.dockerignore', 'ignored\n*.tmp\n!keep.tmp\n');
  file('ignored/secret.txt', 'not sent\n');
  file('scratch.tmp', 'not sent\n');
  file('keep.tmp', 'sent: a re-included exception\n');

  file('plain.txt', 'plain\n');
  file('empty-file', '');
  file('setuid-bin', '#!/bin/sh\n', 0o4755);
  file('setgid-bin', '#!/bin/sh\n', 0o2711);
  file('all-bits', '#!/bin/sh\n', 0o7777);
  file('private.txt', 'owner and group only\n', 0o640, [1234, 5678]);
  file('no-permissions', 'nobody may read this\n', 0o000);
  file('nobody.txt', 'owned by nobody\n', 0o600, [65534, 65534]);

  directory('sticky', 0o1777);
  file('sticky/inside', 'in a sticky directory\n');
  directory('setgid-dir', 0o2775, [0, 4321]);
  file('setgid-dir/inside', 'in a setgid directory\n', 0o664, [0, 4321]);
  directory('owned', 0o750, [1001, 1002]);
  file('owned/file', 'owned\n', 0o644, [1001, 1002]);
  directory('empty', 0o755);
  directory('empty-private', 0o700, [2000, 2000]);
  directory('nested/empty/deeper', 0o711);

  file('hard/first', 'shared by three names\n', 0o640, [77, 88]);
  linkSync(join(dir, 'hard/first'), join(dir, 'hard/second'));
  directory('elsewhere');
  linkSync(join(dir, 'hard/first'), join(dir, 'elsewhere/third'));
  entries.push('hard/second => hard/first', 'elsewhere/third => hard/first');
  // A hard link whose first name is .dockerignore'd: the first name sent becomes the file.
  file('ignored/original', 'the first name is ignored\n');
  linkSync(join(dir, 'ignored/original'), join(dir, 'ignored-twin'));
  entries.push('ignored-twin => ignored/original');

  directory('links');
  link('links/relative', '../plain.txt');
  link('links/absolute', '/etc/passwd');
  link('links/dangling', 'does/not/exist');
  link('links/to-directory', '../owned');
  link('links/owned-link', 'relative', [3000, 3001]);

  file(LONG_NAME, 'a long name\n');
  file(`${DEEP_DIR}/deep-file.txt`, 'a long path\n');
  file('unicode/héllo wörld ☃ 日本語.txt', 'unicode, composed\n');
  file('unicode/he\u0301llo-decomposed.txt', 'unicode, decomposed\n');
  file('unicode/emoji-🦀.txt', 'emoji\n');
  file('spaces and\ttab.txt', 'odd characters\n');

  file('large.bin', pseudoRandom(24 * 1024 * 1024 + 123));

  execFileSync('mkfifo', ['-m', '0640', join(dir, 'a-fifo')]);
  entries.push('a-fifo (fifo)');
  // Device numbers with a minor above 255 (its high bits go elsewhere in st_rdev).
  execFileSync('mknod', ['-m', '0620', join(dir, 'a-char-device'), 'c', '4', '300']);
  execFileSync('mknod', ['-m', '0600', join(dir, 'a-block-device'), 'b', '7', '2']);
  entries.push('a-char-device (4,300)', 'a-block-device (7,2)');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(join(dir, 'a-socket'), resolve));
  entries.push('a-socket (socket)');

  file('times/whole-second', 'an mtime of whole seconds (as SOURCE_DATE_EPOCH gives)\n');
  file('times/microseconds', 'an mtime of whole microseconds\n');
  file('times/old', 'an mtime in 1971\n');
  setNanosecondTimes(dir);
  touch(join(dir, 'times/whole-second'), '@1700000000');
  touch(join(dir, 'times/microseconds'), '@1700000000.123456');
  touch(join(dir, 'times/old'), '@31536000.000000001');
  return { dir, entries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Every entry gets its own mtime with nanoseconds (Node's utimes would keep microseconds only),
 * symlinks their own (touch -h), directories last and deepest first so that nothing changes them after.
 */
function setNanosecondTimes(root: string): void {
  const paths = execFileSync('find', [root, '-mindepth', '1', '-depth', '-print0'], { encoding: 'utf8' }).split('\0').filter(Boolean);
  paths.forEach((path, index) => {
    const seconds = 1_600_000_000 + index * 7_919;
    const nanoseconds = String((index * 123_456_789 + 987_654_321) % 1_000_000_000).padStart(9, '0');
    touch(path, `@${seconds}.${nanoseconds}`);
  });
  // The root's own time is not part of the context (its stat is never sent).
}

function touch(path: string, time: string): void {
  execFileSync('touch', ['-h', '-d', time, path]);
}
