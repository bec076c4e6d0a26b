// Docker's ignore-file patterns (.dockerignore; also BuildKit's include/exclude lists), exactly as
// moby/patternmatcher applies them on BuildKit's client:
// - each pattern is trimmed and cleaned like a path (Go's filepath.Clean: `a//b/` is `a/b`, a
//   leading `/` stays; the ignore-file reader drops it before), `!` makes it an exception;
// - it must be a valid filepath.Match pattern (`[` closed, ranges complete, no trailing `\`), and
//   `!` alone is refused: InvalidPatternError, as Docker refuses the build;
// - a pattern without wildcards matches its path exactly, `dir/**` every path under `dir/` (as a
//   string prefix), `**/x` every path ending in `/x` (or `x` itself); otherwise it becomes a regular
//   expression: `*` and `?` stop at `/`, `**` spans directories, `\` escapes, `[...]` goes through
//   as written (Go's regexp syntax, go-regexp.ts);
// - a path matches when it or one of its parent directories does; the last pattern that matches
//   decides, a `!` pattern including again what earlier ones excluded.
import { globSyntaxProblem } from './glob-syntax.ts';
import { goRegExp, GoRegexpError } from './go-regexp.ts';

export class InvalidPatternError extends Error {
  readonly pattern: string;
  readonly reason: string;

  constructor(pattern: string, reason: string) {
    super(`invalid pattern "${pattern}": ${reason}`);
    this.pattern = pattern;
    this.reason = reason;
  }
}

type Matcher = (path: string) => boolean;

interface CompiledPattern {
  /** The cleaned pattern, without its `!`. */
  readonly pattern: string;
  readonly exclusion: boolean;
  readonly match: Matcher;
}

/** Which patterns matched a directory (or one of its parents), for its children to start from. */
export type ParentMatches = readonly boolean[];

export class PatternMatcher {
  readonly #patterns: CompiledPattern[] = [];

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      let pattern = raw.trim();
      if (pattern === '') continue;
      pattern = goClean(pattern);
      const exclusion = pattern.startsWith('!');
      if (exclusion) {
        if (pattern.length === 1) throw new InvalidPatternError(raw, '"!" alone excludes nothing');
        pattern = pattern.slice(1);
      }
      const problem = globSyntaxProblem(pattern);
      if (problem) throw new InvalidPatternError(raw, problem);
      this.#patterns.push({ pattern, exclusion, match: compile(raw, pattern) });
    }
  }

  get isEmpty(): boolean {
    return this.#patterns.length === 0;
  }

  /** Whether some `!` pattern exists: then an excluded directory may still hold included files. */
  get hasExclusions(): boolean {
    return this.#patterns.some((pattern) => pattern.exclusion);
  }

  get patterns(): ReadonlyArray<{ readonly pattern: string; readonly exclusion: boolean }> {
    return this.#patterns;
  }

  /**
   * The walker's question (patternmatcher's MatchesUsingParentResults): whether `path` matches,
   * given which patterns matched its parent directory. A pattern that matched the parent matches
   * here too; one the parent's walk never evaluated (an exception, before anything matched) is
   * asked about this path alone. Without parent results, the parents are checked as in matches().
   */
  matchesUsingParent(path: string, parent: ParentMatches | undefined): { matched: boolean; parentMatches: ParentMatches } {
    const fromParent = parent !== undefined && parent.length > 0 ? parent : undefined;
    const slash = path.lastIndexOf('/');
    const parents = fromParent || slash <= 0 ? [] : goClean(path.slice(0, slash)).split('/');
    const result: boolean[] = this.#patterns.map(() => false);
    let matched = false;
    this.#patterns.forEach((pattern, i) => {
      let match = fromParent?.[i] ?? false;
      if (!match) {
        // Until something matched only plain patterns count; after, only exceptions.
        if (pattern.exclusion !== matched) return;
        match = pattern.match(path);
        for (let j = 0; !match && j < parents.length; j++) match = pattern.match(parents.slice(0, j + 1).join('/'));
      }
      result[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { matched, parentMatches: result };
  }

  /** Whether `path` (relative, `/`-separated) matches, after all patterns have had their say. */
  matches(path: string): boolean {
    return this.matchesUsingParent(path, undefined).matched;
  }
}

/**
 * A .dockerignore file's patterns as the Dockerfile frontend reads them: a UTF-8 BOM dropped, a line
 * starting with `#` is a comment (only at the very start: ` #x` is a pattern), each line trimmed,
 * cleaned, and without a leading `/`; `!` kept in front.
 */
export function parseIgnoreFile(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const raw = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (raw.startsWith('#')) continue;
    let pattern = raw.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern !== '') {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/** Go's filepath.Clean on a `/`-separated path. */
export function goClean(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? '.' : joined;
}

const ESCAPED = new Set('.+()|{}$');

// The pattern's matcher, built the way patternmatcher's compile does (same regular expression text).
function compile(raw: string, pattern: string): Matcher {
  let source = '^';
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  const chars = [...pattern];
  for (let i = 0, step = 0; i < chars.length; i++, step++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (kind === 'exact') kind = 'prefix';
          else {
            source += '.*';
            kind = 'regexp';
          }
        } else {
          source += '(.*/)?';
          kind = 'regexp';
        }
        if (step === 0) kind = 'suffix';
      } else {
        source += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      kind = 'regexp';
    } else if (ESCAPED.has(ch)) {
      source += `\\${ch}`;
    } else if (ch === '\\') {
      if (i + 1 < chars.length) {
        source += `\\${chars[++i] as string}`;
        kind = 'regexp';
      } else {
        source += '\\';
      }
    } else if (ch === '[' || ch === ']') {
      source += ch;
      kind = 'regexp';
    } else {
      source += ch;
    }
  }
  switch (kind) {
    case 'exact':
      return (path) => path === pattern;
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return (path) => path.startsWith(prefix);
    }
    case 'suffix': {
      const suffix = pattern.slice(2);
      return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
    }
    case 'regexp':
      try {
        const regexp = goRegExp(`${source}$`);
        return (path) => regexp.test(path);
      } catch (error) {
        if (error instanceof GoRegexpError || error instanceof SyntaxError) throw new InvalidPatternError(raw, error.message);
        throw error;
      }
  }
}
