// Docker's ignore-file patterns (.dockerignore; also BuildKit's include/exclude lists), as docker
// build applies them:
// - `*` matches any run of characters but `/`, `?` one such character, `[...]` a class, `\` escapes;
// - `**` matches any number of directories, none included;
// - patterns are cleaned like paths (`./a//b/` is `a/b`) and a leading `/` is dropped;
// - a path matches a pattern when it, or one of its parent directories, does;
// - the last pattern that matches decides, and a `!` pattern includes again what others excluded.

interface CompiledPattern {
  readonly source: string;
  readonly exclusion: boolean;
  readonly regexp: RegExp;
}

export class PatternMatcher {
  readonly #patterns: CompiledPattern[];

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns
      .map((raw) => raw.trim())
      .filter((raw) => raw !== '' && raw !== '!')
      .map((raw) => {
        const exclusion = raw.startsWith('!');
        const source = cleanPattern(exclusion ? raw.slice(1).trim() : raw);
        return { source, exclusion, regexp: compile(source) };
      });
  }

  get isEmpty(): boolean {
    return this.#patterns.length === 0;
  }

  /** Whether some `!` pattern exists: then an excluded directory may still hold included files. */
  get hasExclusions(): boolean {
    return this.#patterns.some((pattern) => pattern.exclusion);
  }

  /** Whether `path` (relative, `/`-separated) matches, after all patterns have had their say. */
  matches(path: string): boolean {
    const parents = parentPaths(path);
    let matched = false;
    for (const pattern of this.#patterns) {
      // A `!` pattern can only change a path that some earlier pattern matched.
      if (pattern.exclusion && !matched) continue;
      if (pattern.regexp.test(path) || parents.some((parent) => pattern.regexp.test(parent))) {
        matched = !pattern.exclusion;
      }
    }
    return matched;
  }
}

/** Reads a .dockerignore file's text: one pattern a line, `#` comments. */
export function parseIgnoreFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function parentPaths(path: string): string[] {
  const parts = path.split('/');
  const parents: string[] = [];
  for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
  return parents;
}

/** Path cleaning as Go's filepath.Clean does it, then without a leading `/`. */
export function cleanPattern(pattern: string): string {
  const absolute = pattern.startsWith('/');
  const out: string[] = [];
  for (const part of pattern.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(part);
  }
  return out.length === 0 ? '.' : out.join('/');
}

function compile(pattern: string): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        const followedBySlash = pattern[i + 1] === '/';
        if (followedBySlash) i++;
        // `**` at the end matches everything below; `**/` matches zero or more directories.
        source += i + 1 >= pattern.length && !followedBySlash ? '.*' : '(?:.*/)?';
      } else {
        source += '[^/]*';
      }
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '\\' && i + 1 < pattern.length) {
      i++;
      source += escapeRegExp(pattern[i] as string);
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) {
        source += '\\[';
      } else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('^')) body = `^${body.slice(1)}`;
        else if (body.startsWith('!')) body = `^${body.slice(1)}`;
        source += `[${body.replaceAll('\\', '\\\\')}]`;
        i = end;
      }
    } else {
      source += escapeRegExp(ch);
    }
  }
  return new RegExp(`${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
