// The syntax check Docker's pattern matcher makes of each ignore pattern: Go's filepath.Match run
// against ".", whose error (ErrBadPattern) means the pattern is refused. Written after its algorithm
// (quirks included), since that decides which malformed patterns are caught and which pass.

/**
 * What Go's filepath.Match(pattern, ".") finds wrong with a pattern, or undefined: the check
 * patternmatcher makes. Match stops at the first chunk that fails to match ".", so it checks that
 * chunk's syntax (and those before it) but not the rest: `a*\` passes, `*\` does not.
 */
export function globSyntaxProblem(pattern: string): string | undefined {
  return goMatch(pattern, '.') === 'bad' ? 'it is not a valid pattern (an unclosed or empty [...] class, a range without an end, or a lone trailing \\)' : undefined;
}

// filepath.Match's control flow, on the one name it is asked about here.
function goMatch(pattern: string, name: string): boolean | 'bad' {
  let rest = pattern;
  let remaining = name;
  next: while (rest.length > 0) {
    const { star, chunk, after } = scanChunk(rest);
    rest = after;
    if (star && chunk === '') return !remaining.includes('/');
    const here = matchChunk(chunk, remaining);
    if (here !== 'bad' && here !== undefined && (here === '' || rest.length > 0)) {
      remaining = here;
      continue;
    }
    if (here === 'bad') return 'bad';
    if (star) {
      for (let i = 0; i < remaining.length && remaining[i] !== '/'; i++) {
        const skipped = matchChunk(chunk, remaining.slice(i + 1));
        if (skipped === 'bad') return 'bad';
        if (skipped !== undefined) {
          if (rest.length === 0 && skipped.length > 0) continue;
          remaining = skipped;
          continue next;
        }
      }
    }
    return false;
  }
  return remaining.length === 0;
}

function scanChunk(pattern: string): { star: boolean; chunk: string; after: string } {
  let at = 0;
  while (pattern[at] === '*') at++;
  const star = at > 0;
  let inRange = false;
  for (let i = at; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (i + 1 < pattern.length) i++;
    } else if (ch === '[') inRange = true;
    else if (ch === ']') inRange = false;
    else if (ch === '*' && !inRange) return { star, chunk: pattern.slice(at, i), after: pattern.slice(i) };
  }
  return { star, chunk: pattern.slice(at), after: '' };
}

// The rest of `s` after `chunk` matched its start; undefined when it did not match; 'bad' when the
// chunk is malformed (found even after a mismatch, as Go keeps checking the chunk).
function matchChunk(chunk: string, s: string): string | undefined | 'bad' {
  let failed = false;
  let c = chunk;
  let rest = s;
  while (c.length > 0) {
    failed ||= rest.length === 0;
    const ch = c[0];
    if (ch === '[') {
      const r: number = failed ? -1 : (rest.codePointAt(0) as number);
      if (!failed) rest = rest.slice(String.fromCodePoint(r).length);
      c = c.slice(1);
      const negated = c[0] === '^';
      if (negated) c = c.slice(1);
      let match = false;
      for (let ranges = 0; ; ranges++) {
        if (c[0] === ']' && ranges > 0) {
          c = c.slice(1);
          break;
        }
        const lo = classRune(c);
        if (lo === undefined) return 'bad';
        let hi = lo;
        c = lo.rest;
        if (c[0] === '-') {
          hi = classRune(c.slice(1)) ?? { rune: -1, rest: '' };
          if (hi.rune === -1) return 'bad';
          c = hi.rest;
        }
        match ||= lo.rune <= r && r <= hi.rune;
      }
      failed ||= match === negated;
    } else if (ch === '?') {
      if (!failed) {
        failed = rest[0] === '/';
        rest = rest.slice(String.fromCodePoint(rest.codePointAt(0) as number).length);
      }
      c = c.slice(1);
    } else {
      if (ch === '\\') {
        c = c.slice(1);
        if (c.length === 0) return 'bad';
      }
      if (!failed) {
        failed = c[0] !== rest[0];
        rest = rest.slice(1);
      }
      c = c.slice(1);
    }
  }
  return failed ? undefined : rest;
}

// getEsc: one class character (maybe escaped) and what follows it; undefined when Go refuses it.
function classRune(chunk: string): { rune: number; rest: string } | undefined {
  if (chunk === '' || chunk[0] === '-' || chunk[0] === ']') return undefined;
  const c = chunk[0] === '\\' ? chunk.slice(1) : chunk;
  if (c === '') return undefined;
  const rune = c.codePointAt(0) as number;
  const rest = c.slice(String.fromCodePoint(rune).length);
  return rest === '' ? undefined : { rune, rest };
}
