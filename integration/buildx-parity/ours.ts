// Our parsers, each answering a peer case in the judge's shape. The attestation and annotation
// parsers (pkg/build/attest-flags.ts) are plugged in through `attestFlags` when that module exists.
import { lstatSync } from 'node:fs';
import { splitSliceFlag } from '../../pkg/build/flags/add-host.ts';
import { parseCacheFlag } from '../../pkg/build/flags/cache.ts';
import { parseOutputFlag } from '../../pkg/build/flags/output.ts';
import { parseSecretFlag } from '../../pkg/build/flags/secret.ts';
import { parseSshFlag } from '../../pkg/build/flags/ssh.ts';
import { parseIgnoreFile, PatternMatcher } from '../../pkg/buildkit/fsutil/patterns.ts';
import { walkContext } from '../../pkg/buildkit/fsutil/walk.ts';
import type { Outcome, PeerCase } from './peer.ts';

export type Answer = (c: PeerCase) => Outcome | Promise<Outcome>;

/**
 * The adapter list for --attest/--provenance/--sbom and --annotation: the lead maps prov's
 * functions here at merge. Each returns the judge's shape: attest gives { TYPE: "type=TYPE,...", or
 * null when disabled }, annotation a list of { type, platform, key, value } sorted by type,
 * platform, key.
 */
export interface AttestFlags {
  readonly attest?: (values: readonly string[], provenance: string | undefined, sbom: string | undefined) => Record<string, string | null>;
  readonly annotation?: (values: readonly string[]) => Array<{ type: string; platform: string; key: string; value: string }>;
}

export function attestAnswers(flags: AttestFlags): Partial<Record<string, Answer>> {
  const { attest, annotation } = flags;
  return {
    ...(attest ? { attest: (c: PeerCase) => outcome(() => attest(c.values ?? [], c.provenance, c.sbom)) } : {}),
    ...(annotation ? { annotation: (c: PeerCase) => outcome(() => annotation(c.values ?? [])) } : {}),
  };
}

export const ourAnswers: Record<string, Answer> = {
  output: (c) =>
    outcome(() =>
      present((c.values ?? []).map(parseOutputFlag)).map(({ type, attrs: { dest, ...attrs } }) => ({ type, dest: dest ?? '', attrs })),
    ),
  cache: (c) => outcome(() => (c.values ?? []).flatMap((value) => parseCacheFlag('cache-from', value))),
  secret: (c) => outcome(() => present((c.values ?? []).map(parseSecretFlag))),
  ssh: (c) => outcome(() => present((c.values ?? []).map(parseSshFlag))),
  slice: (c) => outcome(() => splitSliceFlag('add-host', c.values ?? [])),
  ignore: (c) =>
    outcome(() => {
      const patterns = parseIgnoreFile(c.text ?? '');
      const matcher = new PatternMatcher(patterns);
      return { patterns, matches: Object.fromEntries((c.paths ?? []).map((path) => [path, matcher.matches(path)])) };
    }),
  walk: async (c) => {
    try {
      const entries: Array<{ path: string; dir: boolean }> = [];
      for await (const entry of walkContext(c.root ?? '.', { excludes: c.excludes ?? [], includes: c.includes ?? [] })) {
        entries.push({ path: entry.stat.path, dir: lstatSync(entry.absolutePath).isDirectory() });
      }
      return { value: entries };
    } catch (error) {
      return { error: (error as Error).message };
    }
  },
};

function outcome(run: () => unknown): Outcome {
  try {
    return { value: JSON.parse(JSON.stringify(run())) as unknown };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function present<T>(values: ReadonlyArray<T | undefined>): T[] {
  return values.filter((value): value is T => value !== undefined);
}
