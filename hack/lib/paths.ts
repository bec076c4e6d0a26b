// Where the pinned tools and caches live: the same rules as hack/tools.sh.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBECTL_BUILD_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubectl-build');
}

export function toolsBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'bin');
}

/** A pinned tool from hack/tools.sh when it is installed there, else the machine's (apt) one. */
export function tool(name: string): string {
  const pinned = join(toolsBinDir(), name);
  return existsSync(pinned) ? pinned : name;
}
