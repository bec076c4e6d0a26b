// The base image every test build starts FROM: no public image can be pulled here, so we make one
// from Debian's busybox-static with umoci (cached by the busybox binary's hash) and copy it into a
// registry with skopeo.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientFiles } from './client-files.ts';
import { imageLayout, installBusybox } from './oci-layout.ts';
import type { Registry } from './registry.ts';
import { skopeo, skopeoRegistryFlags } from './skopeo.ts';

export const BASE_IMAGE_REPOSITORY = 'library/busybox';
export const BASE_IMAGE_TAG = 'latest';
const BUSYBOX = '/bin/busybox';

/** An OCI layout holding `busybox` (tag) for this machine's architecture; built once and cached. */
export function baseImageLayout(): string {
  const hash = createHash('sha256').update(readFileSync(BUSYBOX)).digest('hex').slice(0, 12);
  return imageLayout({
    name: `busybox-${hash}`,
    tag: 'busybox',
    cmd: ['/bin/sh'],
    populate: (rootfs) => installBusybox(rootfs, BUSYBOX),
  });
}

/** Copies the base image into `registry`; returns its reference (host/library/busybox:latest). */
export async function seedBaseImage(registry: Registry, files: ClientFiles): Promise<string> {
  const reference = `${registry.host}/${BASE_IMAGE_REPOSITORY}:${BASE_IMAGE_TAG}`;
  await skopeo(['copy', '--quiet', ...skopeoRegistryFlags(registry, files, 'dest'), `oci:${baseImageLayout()}:busybox`, `docker://${reference}`]);
  return reference;
}
