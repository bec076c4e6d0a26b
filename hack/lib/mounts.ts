// Mounts that outlive the process that made them: a kubelet's tmpfs volumes, a buildkitd's
// snapshots and container roots when it was killed (SIGKILL leaves no chance to unmount). Until
// they are unmounted, the folder that holds them cannot be removed (EBUSY).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The mount points under `folder` in this machine's mount table (with `itself`, the folder too). */
export function mountsUnder(folder: string, itself = false): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  return table
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((target) => target.startsWith(`${folder}/`) || (itself && target === folder));
}

/** Unmounts (lazily) everything under `folder`, the deepest first. */
export function unmountUnder(folder: string): void {
  for (const target of mountsUnder(folder).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', target], { stdio: 'ignore' });
    } catch {
      // Not mounted any more.
    }
  }
}
