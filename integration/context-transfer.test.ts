// The same context built with kubectl build and with buildctl, on the same daemon and without
// cache, must give the same layers and the same `-o type=local` tree: every file's metadata is
// carried across both ways (our FileSync sender, our FileSend receiver) exactly as fsutil does.
import { execFile } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tool } from '../hack/lib/paths.ts';
import { runCli } from './harness/cli.ts';
import { scratchDir, useBuildkitd } from './harness/index.ts';
import { variedContext, type VariedContext } from './context-transfer/fixture.ts';
import { readOciArchive } from './context-transfer/oci-layers.ts';
import { snapshotTree, treeDifferences, type TreeSnapshot } from './context-transfer/tree.ts';

const run = promisify(execFile);
const buildkitd = useBuildkitd();

let context: VariedContext;
let dockerfileDir: string;
let workDir: string;
beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'kb-context-transfer-'));
  context = await variedContext(join(workDir, 'context'));
  dockerfileDir = join(workDir, 'dockerfile');
  mkdirSync(dockerfileDir);
  writeFileSync(join(dockerfileDir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
});
afterAll(async () => {
  await context?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function withOurs(output: string): Promise<void> {
  const result = await runCli('kubectl-build', ['--progress=plain', '--no-cache', '-f', join(dockerfileDir, 'Dockerfile'), '-o', output, context.dir], {
    env: { BUILDKIT_HOST: buildkitd().address },
  });
  expect(result.stderr).not.toMatch(/ERROR/);
  expect(result.status).toBe(0);
}

async function withBuildctl(output: string): Promise<void> {
  await run(
    tool('buildctl'),
    ['--addr', buildkitd().address, 'build', '--frontend', 'dockerfile.v0', '--local', `context=${context.dir}`, '--local', `dockerfile=${dockerfileDir}`, '--no-cache', '--output', output],
    { maxBuffer: 64 * 1024 * 1024 },
  );
}

/** `-o type=local` into out/ours with kubectl build and out/theirs with buildctl: the trees must match. */
async function exportLocallyBothWays(out: string): Promise<TreeSnapshot> {
  const exportStartedNs = BigInt(Date.now()) * 1_000_000n;
  await withOurs(`type=local,dest=${join(out, 'ours')}`);
  await withBuildctl(`type=local,dest=${join(out, 'theirs')}`);
  const ours = snapshotTree(join(out, 'ours'), { exportStartedNs });
  expect(treeDifferences(ours, snapshotTree(join(out, 'theirs'), { exportStartedNs })).join('\n')).toBe('');
  return ours;
}

describe('a FROM scratch + COPY . / context, kubectl build against buildctl', () => {
  it('gives the same layer, entry for entry and digest for digest', async () => {
    const out = scratchDir('oci');
    await withOurs(`type=oci,dest=${join(out, 'ours.tar')}`);
    await withBuildctl(`type=oci,dest=${join(out, 'theirs.tar')}`);
    const ours = readOciArchive(join(out, 'ours.tar'));
    const theirs = readOciArchive(join(out, 'theirs.tar'));
    // Entries first, so that a failure names the metadata that differs.
    expect(ours.layerEntries.flat().join('\n')).toBe(theirs.layerEntries.flat().join('\n'));
    expect(ours.diffIds).toEqual(theirs.diffIds);
    expect(ours.layerDigests).toEqual(theirs.layerDigests);
    // Not equal by being empty: the special entries are there, as fsutil sends them.
    const entry = (path: string) => ours.layerEntries.flat().find((line) => line.startsWith(`${path}: `));
    expect(entry('a-socket')).toMatch(/type=0 mode=755 .* size=0 /);
    expect(entry('a-fifo')).toMatch(/type=6 mode=640 /);
    expect(entry('a-char-device')).toMatch(/type=3 mode=620 .* dev=4,300 /);
    expect(entry('private.txt')).toMatch(/mode=640 uid=0 gid=0 /);
    expect(entry('ignored/secret.txt')).toBeUndefined();
  });

  it('writes the same -o type=local tree, the destination folder included', async () => {
    const out = scratchDir('local');
    const ours = await exportLocallyBothWays(out);
    // The folder itself: created private, its time whenever the export last wrote into it.
    expect(ours.get('.')).toBe('dir mode=0700 uid=0 gid=0 mtime=during-export');
    expect(ours.get('times/old')).toMatch(/^file mode=0644 uid=0 gid=0 mtime=31536000000000001 /);
    expect(ours.get('setuid-bin')).toMatch(/^file mode=4755 /);
    expect(ours.get('links/dangling')).toMatch(/^symlink .* target=does\/not\/exist$/);
    expect(ours.get('elsewhere/third')).toMatch(/hardlink-of=elsewhere\/third$/);
    expect(ours.get('hard/second')).toMatch(/hardlink-of=elsewhere\/third$/);
  });

  it('merges into an existing folder as buildctl does: its mode kept, extra files kept, listed paths replaced', async () => {
    const out = scratchDir('merge');
    const outside = join(out, 'outside.txt');
    writeFileSync(outside, 'must not be written through a hard link\n');
    for (const side of ['ours', 'theirs']) {
      const dest = join(out, side);
      mkdirSync(join(dest, 'links'), { recursive: true });
      mkdirSync(join(dest, 'nested/empty/deeper'), { recursive: true }); // folders kept, nothing written into two of them
      chmodSync(dest, 0o751);
      writeFileSync(join(dest, 'extra.txt'), 'not in the result: stays\n');
      utimesSync(join(dest, 'extra.txt'), 1_000_000_000, 1_000_000_000); // the same on both sides
      linkSync(outside, join(dest, 'plain.txt')); // a stale file, hard-linked outside the folder
      mkdirSync(join(dest, 'empty-file')); // a directory where the result has a file
      writeFileSync(join(dest, 'owned'), 'a file where the result has a directory\n');
    }
    const ours = await exportLocallyBothWays(out);
    expect(ours.get('.')).toBe('dir mode=0751 uid=0 gid=0 mtime=during-export');
    // As buildctl leaves them: a kept folder that took new entries has the time of those writes,
    // one that took none has the result's time.
    expect(ours.get('links')).toMatch(/mtime=during-export$/);
    expect(ours.get('nested/empty')).toMatch(/mtime=\d+$/);
    expect(ours.get('extra.txt')).toMatch(/^file /);
    expect(readFileSync(outside, 'utf8')).toBe('must not be written through a hard link\n');
  });
});
