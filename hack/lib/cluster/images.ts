// The images the local cluster needs, made here and imported into containerd (no registry can be
// reached): the pod sandbox (`pause`), a BuildKit image from the pinned buildkitd/buildctl plus
// Debian's runc, and busybox for test pods. Named under localhost/kubectl-build/ so that nobody
// mistakes them for the upstream images; every pod that uses them must not pull (IfNotPresent/Never).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageLayout, installBusybox, installFile, installSharedLibraries } from '../oci-layout.ts';
import { cacheDir, tool } from '../paths.ts';
import { readVersions } from '../versions.ts';

export interface ClusterImage {
  /** Full name containerd and pods use: localhost/kubectl-build/NAME:TAG. */
  readonly reference: string;
  /** OCI layout folder holding it. */
  readonly layout: string;
}

const REPOSITORY = 'localhost/kubectl-build';
const BUSYBOX = '/bin/busybox';

// The sandbox process: sleeps until told to stop, and reaps orphans (it is PID 1 of the pod).
const PAUSE_SOURCE = `#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
}
`;

function hashOf(...parts: Array<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 12);
}

/** A static pause binary built with gcc, cached by its source. */
function pauseBinary(): string {
  const dir = join(cacheDir(), 'images', `pause-bin-${hashOf(PAUSE_SOURCE)}`);
  const binary = join(dir, 'pause');
  if (existsSync(binary)) return binary;
  const work = `${dir}.tmp-${process.pid}`;
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'pause.c'), PAUSE_SOURCE);
  execFileSync('gcc', ['-static', '-O2', '-o', join(work, 'pause'), join(work, 'pause.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return binary;
}

export function pauseImage(): ClusterImage {
  const binary = pauseBinary();
  const layout = imageLayout({
    name: `pause-${hashOf(readFileSync(binary))}`,
    tag: 'local',
    entrypoint: ['/pause'],
    populate: (rootfs) => installFile(rootfs, binary, '/pause'),
  });
  return { reference: `${REPOSITORY}/pause:local`, layout };
}

export function busyboxImage(): ClusterImage {
  const layout = imageLayout({
    name: `busybox-${hashOf(readFileSync(BUSYBOX))}-pod`,
    tag: 'latest',
    cmd: ['/bin/sh'],
    populate: (rootfs) => {
      installBusybox(rootfs, BUSYBOX);
      writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
    },
  });
  return { reference: `${REPOSITORY}/busybox:latest`, layout };
}

/**
 * buildkitd and buildctl (the pinned, static builds from hack/tools.sh) with the machine's runc and
 * its libraries, and busybox for a shell. The same parts as upstream's moby/buildkit image, minus its
 * bundled QEMU (the node's binfmt registration serves RUN steps of other architectures).
 */
export function buildkitImage(): ClusterImage {
  const BUILDKIT_VERSION = readVersions().BUILDKIT_VERSION ?? 'unknown';
  const buildkitd = tool('buildkitd');
  const buildctl = tool('buildctl');
  const runc = execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim();
  const layout = imageLayout({
    name: `buildkit-${BUILDKIT_VERSION}-${hashOf(readFileSync(buildkitd), readFileSync(runc))}`,
    tag: BUILDKIT_VERSION,
    entrypoint: ['/usr/bin/buildkitd'],
    populate: (rootfs) => {
      installBusybox(rootfs, BUSYBOX);
      installFile(rootfs, buildkitd, '/usr/bin/buildkitd');
      installFile(rootfs, buildctl, '/usr/bin/buildctl');
      installFile(rootfs, runc, '/usr/bin/runc');
      installSharedLibraries(rootfs, runc);
      for (const dir of ['etc/buildkit', 'var/lib/buildkit', 'run/buildkit']) mkdirSync(join(rootfs, dir), { recursive: true });
      writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n');
      writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nuser:x:1000:\n');
    },
  });
  return { reference: `${REPOSITORY}/buildkit:${BUILDKIT_VERSION}`, layout };
}

/** Imports `image` into containerd's k8s.io namespace (what the kubelet sees) under its name. */
export function importImage(image: ClusterImage, containerdSocket: string, workDir: string): void {
  const archive = join(workDir, `${image.reference.replace(/[/:]/g, '_')}.tar`);
  execFileSync('tar', ['-C', image.layout, '-cf', archive, '.']);
  try {
    const [name] = image.reference.split(/:(?=[^/:]+$)/);
    execFileSync('ctr', ['--address', containerdSocket, '-n', 'k8s.io', 'images', 'import', '--base-name', name ?? image.reference, archive], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } finally {
    rmSync(archive, { force: true });
  }
}
