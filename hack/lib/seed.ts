// The base image every test build starts FROM: no public image can be pulled here, so we make one
// from Debian's busybox-static with umoci (cached by the busybox binary's hash) and copy it into a
// registry with skopeo.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientFiles } from './client-files.ts';
import { cacheDir, tool } from './paths.ts';
import type { Registry } from './registry.ts';
import { skopeo, skopeoRegistryFlags } from './skopeo.ts';

export const BASE_IMAGE_REPOSITORY = 'library/busybox';
export const BASE_IMAGE_TAG = 'latest';
const BUSYBOX = '/bin/busybox';
const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le' };

function umoci(args: string[]): void {
  execFileSync(tool('umoci'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An OCI layout holding `busybox` (tag) for this machine's architecture; built once and cached. */
export function baseImageLayout(): string {
  const hash = createHash('sha256').update(readFileSync(BUSYBOX)).digest('hex').slice(0, 12);
  const layout = join(cacheDir(), 'seed', `busybox-${hash}`);
  if (existsSync(join(layout, 'index.json'))) return layout;

  const work = `${layout}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const image = `${join(work, 'layout')}:busybox`;
    const bundle = join(work, 'bundle');
    umoci(['init', '--layout', join(work, 'layout')]);
    umoci(['new', '--image', image]);
    umoci(['unpack', '--image', image, bundle]);
    const rootfs = join(bundle, 'rootfs');
    for (const dir of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(rootfs, dir), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const applet of applets) {
      if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
    }
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    umoci(['repack', '--image', image, bundle]);
    umoci(['config', '--image', image, '--os', 'linux', '--architecture', OCI_ARCH[process.arch] ?? process.arch,
      '--config.cmd', '/bin/sh', '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    umoci(['gc', '--layout', join(work, 'layout')]);
    rmSync(layout, { recursive: true, force: true });
    renameSync(join(work, 'layout'), layout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return layout;
}

/** Copies the base image into `registry`; returns its reference (host/library/busybox:latest). */
export async function seedBaseImage(registry: Registry, files: ClientFiles): Promise<string> {
  const reference = `${registry.host}/${BASE_IMAGE_REPOSITORY}:${BASE_IMAGE_TAG}`;
  await skopeo(['copy', '--quiet', ...skopeoRegistryFlags(registry, files, 'dest'), `oci:${baseImageLayout()}:busybox`, `docker://${reference}`]);
  return reference;
}
