// hack/trust-image.ts DIR: the build context of deploy/trust-image/Dockerfile in DIR: the linux-amd64
// single executable from `make release`, installed as /usr/local/bin/kubectl-trust, the shared
// libraries ldd lists for it, a passwd entry for the non-root user the CronJob runs as, and /tmp.
// Then: kubectl build DIR -t IMAGE (--load into the node, or --push).
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installFile, installSharedLibraries } from './lib/oci-layout.ts';

export function trustImageContext(dir: string, executable = resolve('dist/release/linux-amd64/kubectl-build')): string {
  rmSync(dir, { recursive: true, force: true });
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  installFile(rootfs, executable, '/usr/local/bin/kubectl-trust');
  installSharedLibraries(rootfs, executable);
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
  copyFileSync(resolve('deploy/trust-image/Dockerfile'), join(dir, 'Dockerfile'));
  return dir;
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node hack/trust-image.ts DIR\n');
    process.exit(2);
  }
  process.stdout.write(`${trustImageContext(resolve(dir))}\n`);
}
