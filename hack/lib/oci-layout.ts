// Container images made without a registry or a Docker engine: a root filesystem filled by the
// caller, packed by umoci into an OCI layout under the tool cache, keyed by what went into it (so a
// second call is free and a new version gets a new folder).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, chmodSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir, tool } from './paths.ts';

export const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le' };

export interface LayoutSpec {
  /** Folder name under $CACHE/images, including the cache key: `busybox-<hash>`. */
  readonly name: string;
  /** The tag inside the layout (its index.json `org.opencontainers.image.ref.name`). */
  readonly tag: string;
  /** Fills the root filesystem. */
  readonly populate: (rootfs: string) => void;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  /** The user the image runs as (`65532`, `user:group`); root when not given. */
  readonly user?: string;
}

function umoci(args: string[]): void {
  execFileSync(tool('umoci'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The OCI layout folder for `spec`, built once (a change to the recipe itself makes a new one). */
export function imageLayout(spec: LayoutSpec): string {
  const recipe = createHash('sha256')
    .update(spec.populate.toString())
    .update(JSON.stringify([spec.tag, spec.entrypoint, spec.cmd, spec.env, ...(spec.user === undefined ? [] : [spec.user])]))
    .digest('hex')
    .slice(0, 8);
  const layout = join(cacheDir(), 'images', `${spec.name}-${recipe}`);
  if (existsSync(join(layout, 'index.json'))) return layout;

  const work = `${layout}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const image = `${join(work, 'layout')}:${spec.tag}`;
    const bundle = join(work, 'bundle');
    umoci(['init', '--layout', join(work, 'layout')]);
    umoci(['new', '--image', image]);
    umoci(['unpack', '--image', image, bundle]);
    spec.populate(join(bundle, 'rootfs'));
    umoci(['repack', '--image', image, bundle]);
    const config = ['--os', 'linux', '--architecture', OCI_ARCH[process.arch] ?? process.arch];
    for (const value of spec.entrypoint ?? []) config.push('--config.entrypoint', value);
    for (const value of spec.cmd ?? []) config.push('--config.cmd', value);
    for (const value of spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']) config.push('--config.env', value);
    if (spec.user !== undefined) config.push('--config.user', spec.user);
    umoci(['config', '--image', image, ...config]);
    umoci(['gc', '--layout', join(work, 'layout')]);
    rmSync(layout, { recursive: true, force: true });
    mkdirSync(dirname(layout), { recursive: true });
    renameSync(join(work, 'layout'), layout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return layout;
}

/** Copies an executable into the root filesystem at `target` (absolute inside the image). */
export function installFile(rootfs: string, source: string, target: string, mode = 0o755): void {
  const destination = join(rootfs, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(source, destination);
  chmodSync(destination, mode);
}

/** /etc/passwd and /etc/group of an image. */
export interface Accounts {
  readonly passwd: string;
  readonly group: string;
}

export const ROOT_ACCOUNTS: Accounts = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  group: 'root:x:0:\nnogroup:x:65534:\n',
};

/** /bin/busybox with every applet linked, and the image's accounts. */
export function installBusybox(rootfs: string, busybox: string, accounts: Accounts = ROOT_ACCOUNTS): void {
  for (const dir of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(rootfs, dir), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  installFile(rootfs, busybox, '/bin/busybox');
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox' && !existsSync(join(rootfs, 'bin', applet))) symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  writeFileSync(join(rootfs, 'etc', 'passwd'), accounts.passwd);
  writeFileSync(join(rootfs, 'etc', 'group'), accounts.group);
}

/** The shared libraries `ldd` lists for `binary`, copied to the same paths inside the image. */
export function installSharedLibraries(rootfs: string, binary: string): void {
  const output = execFileSync('ldd', [binary], { encoding: 'utf8' });
  for (const match of output.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) {
    const library = match[1];
    if (library) installFile(rootfs, library, library, 0o755);
  }
}
