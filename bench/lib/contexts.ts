// Build contexts for the upload benchmarks: `files` files of `size` random bytes, `perDir` to a
// directory, and a Dockerfile that copies them all into an empty image.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes the context into `dir` (created) and returns `dir`. */
export function makeContext(dir: string, files: number, size: number, perDir: number): string {
  const block = randomBytes(Math.min(size, 1 << 20));
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(sub, { recursive: true });
    const content = size <= block.length ? block.subarray(0, size) : Buffer.concat(Array.from({ length: size / block.length }, () => block));
    writeFileSync(join(sub, `f${i}`), content);
  }
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  return dir;
}
