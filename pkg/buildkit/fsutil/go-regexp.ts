// Go's regexp syntax (RE2, as regexp.Compile reads it) turned into an equivalent JavaScript RegExp,
// for the regular expressions Docker's pattern matcher builds from ignore patterns. Those hold user
// text almost raw (`[...]` classes, `\` escapes, `^`), so the two dialects' differences matter:
// Go's `.` stops only at `\n`, `[[:alpha:]]` is a POSIX class, `\s` is ASCII, `]` alone is literal,
// an unknown escape (`\g`) is an error. Unicode classes (`\p`), `\x`, `\Q...\E` and negated POSIX
// classes are refused (GoRegexpError) rather than guessed.

export class GoRegexpError extends Error {}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const PERL: Record<string, string> = { d: '0-9', w: '0-9A-Za-z_', s: '\\t\\n\\f\\r ' };
const CONTROL: Record<string, string> = { a: '\\x07', f: '\\f', t: '\\t', n: '\\n', r: '\\r', v: '\\v' };
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/');

export function goRegExp(source: string): RegExp {
  return new RegExp(translate([...source]), 'u');
}

function translate(chars: string[]): string {
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '\\') {
      const escaped = escape(chars, i + 1, false);
      out += escaped.js;
      i = escaped.next - 1;
    } else if (ch === '[') {
      const cls = charClass(chars, i + 1);
      out += cls.js;
      i = cls.next - 1;
    } else if (ch === '.') {
      out += '[^\\n]';
    } else if (ch === ']' || ch === '}' || ch === '/') {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** The escape starting at chars[at] (after the backslash): its JS form and where parsing resumes. */
function escape(chars: string[], at: number, inClass: boolean): { js: string; next: number; rune?: number } {
  const c = chars[at];
  if (c === undefined) throw new GoRegexpError('trailing backslash');
  const code = c.codePointAt(0) as number;
  if (code < 0x80 && !/[0-9A-Za-z]/.test(c)) return { js: literal(c, inClass), next: at + 1, rune: code };
  if (c in CONTROL) return { js: CONTROL[c] as string, next: at + 1, rune: control(c) };
  const lower = c.toLowerCase();
  if (lower in PERL) {
    const set = PERL[lower] as string;
    return { js: inClass ? (c === lower ? set : `\\${c}`) : c === lower ? `[${set}]` : `[^${set}]`, next: at + 1 };
  }
  if (/[0-7]/.test(c)) {
    // \0 and \1-\7 followed by an octal digit: an octal escape of up to three digits.
    if (c !== '0' && !/[0-7]/.test(chars[at + 1] ?? '')) throw new GoRegexpError(`invalid escape \\${c}`);
    let digits = c;
    let next = at + 1;
    while (digits.length < 3 && /[0-7]/.test(chars[next] ?? '')) digits += chars[next++];
    const rune = parseInt(digits, 8);
    return { js: `\\u{${rune.toString(16)}}`, next, rune };
  }
  if (!inClass) {
    if (c === 'A') return { js: '^', next: at + 1 };
    if (c === 'z') return { js: '$', next: at + 1 };
    if (c === 'b' || c === 'B') return { js: `\\${c}`, next: at + 1 };
  }
  throw new GoRegexpError(`unsupported escape \\${c}`);
}

function charClass(chars: string[], start: number): { js: string; next: number } {
  let i = start;
  let js = '[';
  if (chars[i] === '^') {
    js += '^';
    i++;
  }
  let first = true;
  for (;;) {
    const ch = chars[i];
    if (ch === undefined) throw new GoRegexpError('missing closing ]');
    if (ch === ']' && !first) return { js: `${js}]`, next: i + 1 };
    first = false;
    if (ch === '[' && chars[i + 1] === ':') {
      const end = chars.indexOf(':', i + 2);
      if (end !== -1 && chars[end + 1] === ']') {
        const name = chars.slice(i + 2, end).join('');
        const set = POSIX[name];
        if (set === undefined) throw new GoRegexpError(`invalid character class [:${name}:]`);
        js += set;
        i = end + 2;
        continue;
      }
    }
    const lo = classAtom(chars, i);
    i = lo.next;
    if (chars[i] === '-' && chars[i + 1] !== ']' && chars[i + 1] !== undefined && lo.rune !== undefined) {
      const hi = classAtom(chars, i + 1);
      if (hi.rune === undefined || hi.rune < lo.rune) throw new GoRegexpError('invalid character class range');
      js += `${lo.js}-${hi.js}`;
      i = hi.next;
    } else {
      js += lo.js;
    }
  }
}

function classAtom(chars: string[], at: number): { js: string; next: number; rune?: number } {
  const ch = chars[at] as string;
  if (ch === '\\') return escape(chars, at + 1, true);
  return { js: literal(ch, true), next: at + 1, rune: ch.codePointAt(0) as number };
}

// A literal character in JS's unicode mode: syntax characters escaped, and `-` too inside a class
// (outside one, `\-` is an error there).
function literal(ch: string, inClass: boolean): string {
  return JS_SYNTAX.has(ch) || (inClass && ch === '-') ? `\\${ch}` : ch;
}

function control(c: string): number {
  return { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 }[c as 'a'] ?? 0;
}
