// A release archive: the executable and LICENSE of a platform's folder as .tar.gz, the same bytes
// for the same files and date (names sorted, owner 0, every file dated `sourceDate`, gzip without a
// timestamp: Node's zlib writes none), so that anyone can make the release again and compare sums.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { EXECUTABLE } from './krew.ts';

/** Writes `archive` from `dir`'s executable and LICENSE, dated `sourceDate` (seconds since the epoch). */
export async function writeReleaseArchive(dir: string, archive: string, sourceDate: string): Promise<void> {
  const flags = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${sourceDate}`];
  const tar = spawn('tar', [...flags, '-C', dir, '-cf', '-', EXECUTABLE, 'LICENSE'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => tar.on('close', resolve));
  await pipeline(tar.stdout, createGzip(), createWriteStream(archive));
  if ((await exited) !== 0) throw new Error(`tar failed for ${archive}`);
}
