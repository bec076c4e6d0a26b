// Pure parsers for docker-build-style flag values. No I/O: the CLI passes strings in, gets plain
// data out, and a bad value becomes a USAGE error that names the flag.
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

export interface AttrList {
  readonly type: string;
  readonly attrs: Record<string, string>;
}

/**
 * A comma-separated attribute list as buildx reads it (`type=registry,ref=r/app:cache,mode=max`).
 * Values may be double-quoted to hold commas. `defaultType` applies when `type=` is absent
 * (buildx: `--output dest` without type means local; `--cache-from ref` means registry).
 */
export function parseAttrList(flag: string, value: string, defaultType?: string): AttrList {
  const attrs: Record<string, string> = {};
  for (const field of splitCsv(value)) {
    const eq = field.indexOf('=');
    if (eq <= 0) {
      if (defaultType !== undefined && !value.includes('=')) {
        return { type: defaultType, attrs: { [defaultType === 'registry' ? 'ref' : 'dest']: value } };
      }
      throw usage(flag, value, 'key=value[,key=value...]');
    }
    attrs[field.slice(0, eq).trim().toLowerCase()] = field.slice(eq + 1);
  }
  const type = attrs.type ?? defaultType;
  if (type === undefined) throw usage(flag, value, 'type=...[,key=value...]');
  delete attrs.type;
  return { type, attrs };
}

function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  fields.push(current);
  return fields.filter((field) => field !== '');
}

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'quiet', 'rawjson'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

function usage(flag: string, value: string, expected: string): KubectlBuildError {
  return new KubectlBuildError('USAGE', `invalid value "${value}" for --${flag}: expected ${expected}`, {
    hint: `see "kubectl build --help" for the --${flag} format`,
  });
}
