// Pure parsers for flag values shared by several commands. No I/O: the CLI passes strings in, gets
// plain data out, and a bad value becomes a USAGE error that names the flag. The build flags that
// must read as docker buildx reads them are in ./flags/, one module each.
import { KubectlBuildError } from '../errors/index.ts';

/** `KEY=VALUE` pairs (`--build-arg`, `--label`). A bare `KEY` takes its value from `lookup` (docker's rule). */
export function parseKeyValues(
  flag: string,
  values: readonly string[],
  lookup: (key: string) => string | undefined = () => undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (key === '') throw usage(flag, item, 'KEY=VALUE');
    if (eq === -1) {
      const fromLookup = lookup(key);
      // docker build skips a bare KEY that is not set in the environment.
      if (fromLookup !== undefined) result[key] = fromLookup;
    } else {
      result[key] = item.slice(eq + 1);
    }
  }
  return result;
}

export type { AttrList } from './flags/attr-list.ts';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'quiet', 'rawjson'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

function usage(flag: string, value: string, expected: string): KubectlBuildError {
  return new KubectlBuildError('USAGE', `invalid value "${value}" for --${flag}: expected ${expected}`, {
    hint: `see "kubectl build --help" for the --${flag} format`,
  });
}
