// Which paths of a context are sent, decided as fsutil's filtered walk decides (BuildKit's client):
// entries come depth first, parents before children; each is matched against the include and
// exclude patterns starting from its parent directory's results. A directory that is not sent
// itself is still walked unless no pattern can reach inside it: then it is pruned (fsutil returns
// SkipDir), which only happens when every relevant pattern is a plain path prefix.
import { PatternMatcher, type ParentMatches } from './patterns.ts';

/** send: the entry is sent; hold: not sent, but a directory is still walked; prune: a directory not walked. */
export type Verdict = 'send' | 'hold' | 'prune';

// A pattern's characters that make it more than a path prefix (fsutil's patternChars on Unix).
const PATTERN_CHARS = /[*[\]?^\\]/;

interface VisitedDir {
  readonly prefix: string;
  readonly includes: ParentMatches | undefined;
  readonly excludes: ParentMatches | undefined;
}

export class ContextFilter {
  readonly #includes: PatternMatcher | undefined;
  readonly #excludes: PatternMatcher | undefined;
  readonly #onlyPrefixIncludes: boolean;
  readonly #onlyPrefixExceptions: boolean;
  readonly #parents: VisitedDir[] = [];

  constructor(includes: readonly string[], excludes: readonly string[]) {
    this.#includes = includes.length > 0 ? new PatternMatcher(includes) : undefined;
    this.#excludes = excludes.length > 0 ? new PatternMatcher(excludes) : undefined;
    this.#onlyPrefixIncludes = !(this.#includes?.patterns ?? []).some((p) => !p.exclusion && PATTERN_CHARS.test(withoutTrailingGlob(p.pattern)));
    this.#onlyPrefixExceptions = !(this.#excludes?.patterns ?? []).some((p) => p.exclusion && PATTERN_CHARS.test(withoutTrailingGlob(p.pattern)));
  }

  /** The verdict for the next entry of the walk (relative, `/`-separated path). */
  decide(path: string, isDir: boolean): Verdict {
    while (this.#parents.length > 0 && !path.startsWith((this.#parents[this.#parents.length - 1] as VisitedDir).prefix)) this.#parents.pop();
    const parent = this.#parents[this.#parents.length - 1];
    let skip = false;
    let includes: ParentMatches | undefined;
    let excludes: ParentMatches | undefined;
    if (this.#includes) {
      const result = this.#includes.matchesUsingParent(path, parent?.includes);
      includes = result.parentMatches;
      if (!result.matched) {
        if (isDir && this.#onlyPrefixIncludes && !this.#reachesBelow(this.#includes, false, path)) return 'prune';
        skip = true;
      }
    }
    if (this.#excludes) {
      const result = this.#excludes.matchesUsingParent(path, parent?.excludes);
      excludes = result.parentMatches;
      if (result.matched) {
        if (isDir && this.#onlyPrefixExceptions && !(this.#excludes.hasExclusions && this.#reachesBelow(this.#excludes, true, path))) return 'prune';
        skip = true;
      }
    }
    if (isDir) this.#parents.push({ prefix: `${path}/`, includes, excludes });
    return skip ? 'hold' : 'send';
  }

  // Whether some pattern (includes, or exceptions when `exceptions`) names a path below `dir`.
  #reachesBelow(matcher: PatternMatcher, exceptions: boolean, dir: string): boolean {
    return matcher.patterns.some((p) => p.exclusion === exceptions && `${withoutTrailingGlob(p.pattern)}/`.startsWith(`${dir}/`));
  }
}

function withoutTrailingGlob(pattern: string): string {
  return pattern.replace(/\/\*\*$/, '').replace(/\/\*$/, '');
}
