// --build-arg and --label, as buildx reads them (commands/build.go listToMap): KEY=VALUE, the first
// `=` splits; an empty KEY is refused. A bare KEY means, for --build-arg, the variable KEY when it is
// set (and nothing when not), for --label an empty value. The last of a repeated KEY wins.
import { flagError } from './errors.ts';

export function parseBuildArgs(values: readonly string[], lookup: (key: string) => string | undefined): Record<string, string> {
  const args = toMap('build-arg', values, lookup);
  // buildx: BUILDKIT_SYNTAX= would silently turn off the #syntax line.
  if (args.BUILDKIT_SYNTAX !== undefined && args.BUILDKIT_SYNTAX.trim() === '') {
    throw flagError('build-arg', 'BUILDKIT_SYNTAX=', 'an empty BUILDKIT_SYNTAX is invalid', "use --build-arg BUILDKIT_SYNTAX without '=' for optional behaviour");
  }
  return args;
}

export function parseLabels(values: readonly string[]): Record<string, string> {
  return toMap('label', values, () => '');
}

function toMap(flag: string, values: readonly string[], bare: (key: string) => string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq === -1 ? value : value.slice(0, eq);
    if (key === '') throw flagError(flag, value, 'its key is empty', `use --${flag} KEY=VALUE`);
    const given = eq === -1 ? bare(key) : value.slice(eq + 1);
    if (given !== undefined) result[key] = given;
  }
  return result;
}
