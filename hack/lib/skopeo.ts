// skopeo against our test registries: credentials through an auth file (never on the command line),
// plain HTTP or our CA as each registry needs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ClientFiles } from './client-files.ts';
import { tool } from './paths.ts';
import type { Registry } from './registry.ts';

const run = promisify(execFile);

/** The transport flags skopeo needs to reach `registry`; `side` is "src" or "dest" for copy, "" otherwise. */
export function skopeoRegistryFlags(registry: Registry, files: ClientFiles, side: 'src' | 'dest' | ''): string[] {
  const prefix = side === '' ? '--' : `--${side}-`;
  const flags = [`${prefix}authfile`, files.authFile];
  if (registry.caFile) flags.push(`${prefix}cert-dir`, files.certDir as string);
  else flags.push(`${prefix}tls-verify=false`);
  return flags;
}

export async function skopeo(args: readonly string[]): Promise<string> {
  const { stdout } = await run(tool('skopeo'), args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** `skopeo inspect --raw` of an image reference: the manifest as the registry stores it. */
export async function inspectRawManifest(registry: Registry, files: ClientFiles, reference: string): Promise<unknown> {
  return JSON.parse(await skopeo(['inspect', '--raw', ...skopeoRegistryFlags(registry, files, ''), `docker://${reference}`]));
}
