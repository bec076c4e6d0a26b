// The images the local cluster needs, made here and imported into containerd (no registry can be
// reached): the pod sandbox (`pause`), a BuildKit image from the pinned buildkitd/buildctl plus
// Debian's runc, and busybox for test pods. Named under localhost/kubectl-build/ so that nobody
// mistakes them for the upstream images; every pod that uses them must not pull (IfNotPresent/Never).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
    populate: (rootfs) => installBusybox(rootfs, BUSYBOX),
  });
  return { reference: `${REPOSITORY}/busybox:latest`, layout };
}

// Both BuildKit images run as root or as user 1000 (rootless).
const BUILDKIT_ACCOUNTS = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n',
  group: 'root:x:0:\nuser:x:1000:\n',
};

function machineRunc(): string {
  return execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim();
}

/** What both BuildKit images hold: busybox for a shell, buildkitd, buildctl, runc and its libraries. */
function installBuildkit(rootfs: string, runc: string): void {
  installBusybox(rootfs, BUSYBOX, BUILDKIT_ACCOUNTS);
  installFile(rootfs, tool('buildkitd'), '/usr/bin/buildkitd');
  installFile(rootfs, tool('buildctl'), '/usr/bin/buildctl');
  installFile(rootfs, runc, '/usr/bin/runc');
  installSharedLibraries(rootfs, runc);
}

/**
 * buildkitd and buildctl (the pinned, static builds from hack/tools.sh) with the machine's runc and
 * its libraries, and busybox for a shell. The same parts as upstream's moby/buildkit image, minus its
 * bundled QEMU (the node's binfmt registration serves RUN steps of other architectures).
 */
export function buildkitImage(): ClusterImage {
  const BUILDKIT_VERSION = readVersions().BUILDKIT_VERSION ?? 'unknown';
  const runc = machineRunc();
  const layout = imageLayout({
    name: `buildkit-${BUILDKIT_VERSION}-${hashOf(readFileSync(tool('buildkitd')), readFileSync(runc))}`,
    tag: BUILDKIT_VERSION,
    entrypoint: ['/usr/bin/buildkitd'],
    populate: (rootfs) => {
      installBuildkit(rootfs, runc);
      for (const dir of ['etc/buildkit', 'var/lib/buildkit', 'run/buildkit']) mkdirSync(join(rootfs, dir), { recursive: true });
    },
  });
  return { reference: `${REPOSITORY}/buildkit:${BUILDKIT_VERSION}`, layout };
}

/**
 * The rootless variant (kubectl buildkit create --rootless): the same daemon under rootlesskit, run
 * as user 1000 with subordinate IDs for its user namespace (Debian's newuidmap/newgidmap), as
 * upstream's moby/buildkit:rootless does. Named <buildkit image>-rootless, which is where the CLI
 * looks for it when KUBECTL_BUILDKIT_IMAGE names the rootful one.
 */
export function buildkitRootlessImage(): ClusterImage {
  const BUILDKIT_VERSION = readVersions().BUILDKIT_VERSION ?? 'unknown';
  const runc = machineRunc();
  const helpers = ['/usr/bin/newuidmap', '/usr/bin/newgidmap'];
  const inputs = [tool('rootlesskit'), tool('buildkitd'), runc, ...helpers].map((path) => readFileSync(path));
  const layout = imageLayout({
    name: `buildkit-${BUILDKIT_VERSION}-rootless-${hashOf(...inputs)}`,
    tag: `${BUILDKIT_VERSION}-rootless`,
    entrypoint: ['/usr/bin/rootlesskit', '/usr/bin/buildkitd'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'USER=user', 'HOME=/home/user', 'XDG_RUNTIME_DIR=/run/user/1000'],
    populate: (rootfs) => {
      installBuildkit(rootfs, runc);
      installFile(rootfs, tool('rootlesskit'), '/usr/bin/rootlesskit');
      // File capabilities instead of setuid, as upstream's rootless image has them: a setuid
      // newuidmap run by user 1000 in a container fails to write uid_map (seen here).
      for (const [helper, capability] of [[helpers[0], 'cap_setuid=ep'], [helpers[1], 'cap_setgid=ep']] as const) {
        installFile(rootfs, helper as string, helper as string, 0o755);
        execFileSync('setcap', [capability, join(rootfs, helper as string)]);
        installSharedLibraries(rootfs, helper as string);
      }
      writeFileSync(join(rootfs, 'etc', 'subuid'), 'user:100000:65536\n');
      writeFileSync(join(rootfs, 'etc', 'subgid'), 'user:100000:65536\n');
      for (const dir of ['home/user/.local/share/buildkit', 'run/user/1000', 'run/buildkit']) {
        mkdirSync(join(rootfs, dir), { recursive: true });
      }
      execFileSync('chown', ['-R', '1000:1000', join(rootfs, 'home/user'), join(rootfs, 'run/user/1000'), join(rootfs, 'run/buildkit')]);
      chmodSync(join(rootfs, 'run/user/1000'), 0o700);
    },
  });
  return { reference: `${REPOSITORY}/buildkit:${BUILDKIT_VERSION}-rootless`, layout };
}

/**
 * sigstore's policy-controller webhook (the static build from hack/tools.sh) where upstream's ko image
 * has it, run as the same non-root user (65532) that image has. It needs nothing else offline: no
 * shell, no CA certificates (the local registries speak plain HTTP, the trust root is a TrustRoot).
 */
export function policyControllerImage(): ClusterImage {
  const version = readVersions().POLICY_CONTROLLER_VERSION ?? 'unknown';
  const webhook = tool('policy-controller-webhook');
  const layout = imageLayout({
    name: `policy-controller-${version}-${hashOf(readFileSync(webhook))}`,
    tag: version,
    entrypoint: ['/ko-app/webhook'],
    user: '65532:65532',
    populate: (rootfs) => {
      installFile(rootfs, webhook, '/ko-app/webhook');
      mkdirSync(join(rootfs, 'etc'), { recursive: true });
      writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
      writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
    },
  });
  return { reference: `${REPOSITORY}/policy-controller:${version}`, layout };
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
