// A platform name as containerd's parser normalizes it (what buildx does to the [platform] of an
// --annotation before it becomes BuildKit's key): os/arch[/variant], aliases resolved, arm's
// default variant filled in, a lone part completed from the machine the CLI runs on.

export interface HostPlatform {
  readonly os: string;
  readonly arch: string;
}

export function hostPlatform(): HostPlatform {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return { os, arch };
}

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'illumos', 'ios', 'js', 'linux', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows']);

/** A platform as containerd's parser normalizes it (os/arch[/variant]); `host` fills a lone part. */
export function normalizePlatform(specifier: string, host: HostPlatform, fail: () => Error): string {
  const parts = specifier.toLowerCase().split('/');
  if (parts.some((part) => part === '') || parts.length > 3) throw fail();
  if (parts.length === 1) {
    const only = parts[0] as string;
    if (KNOWN_OS.has(only)) return format(only, ...normalizeArch(host.arch, ''));
    return format(host.os, ...defaultArmVariant(normalizeArch(only, '')));
  }
  const [os = '', arch = '', variant = ''] = parts;
  return format(os === 'macos' ? 'darwin' : os, ...(parts.length === 2 ? defaultArmVariant(normalizeArch(arch, '')) : normalizeArch(arch, variant)));
}

function format(os: string, arch: string, variant: string): string {
  return variant ? `${os}/${arch}/${variant}` : `${os}/${arch}`;
}

function defaultArmVariant([arch, variant]: [string, string]): [string, string] {
  return arch === 'arm' && variant === '' ? ['arm', 'v7'] : [arch, variant];
}

function normalizeArch(arch: string, variant: string): [string, string] {
  switch (arch) {
    case 'i386':
      return ['386', ''];
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return ['amd64', variant === 'v1' ? '' : variant];
    case 'aarch64':
    case 'arm64':
      return ['arm64', variant === '8' || variant === 'v8' ? '' : variant];
    case 'armhf':
      return ['arm', 'v7'];
    case 'armel':
      return ['arm', 'v6'];
    case 'arm':
      if (variant === '' || variant === '7') return ['arm', 'v7'];
      if (variant === '5' || variant === '6' || variant === '8') return ['arm', `v${variant}`];
      return ['arm', variant];
    default:
      return [arch, variant];
  }
}
