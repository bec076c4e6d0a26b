// The two pattern languages of a policy: image globs (policy-controller's: `*` stops at `/`, `**`
// does not) and identity/issuer regular expressions, which must match the WHOLE value. sigstore-js
// tests regexps unanchored, so `alice@example\.com` would accept `malice@example.com.evil`; we
// anchor every one here, the only place they are compiled.
import type { ImageName, TextMatch } from './types.ts';

/** The glob as a regular expression over the whole text. */
export function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Does the glob match the image's repository name, or `name:tag` when it was named by a tag. */
export function globMatches(glob: string, image: ImageName): boolean {
  const pattern = globRegExp(glob);
  return pattern.test(image.name) || (image.tag !== undefined && pattern.test(`${image.name}:${image.tag}`));
}

/** How an image is shown in verdicts: name:tag when named by tag. */
export function imageText(image: ImageName): string {
  return image.tag === undefined ? image.name : `${image.name}:${image.tag}`;
}

/** A user's regexp, anchored to the whole value. Throws SyntaxError when it does not compile. */
export function anchoredRegExp(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

// Lookaround and backreferences compile in JavaScript but not in Go's RE2, which policy-controller
// and Kyverno use: a policy that could not be exported is refused when it is read.
const NOT_IN_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

/** Why the regexp cannot be used, or undefined when it can. */
export function regExpProblem(source: string): string | undefined {
  // Compiled alone first: a source with an unbalanced `)` must not slip out of the anchoring group.
  try {
    new RegExp(source);
  } catch (error) {
    const reason = (error as Error).message.replace(`Invalid regular expression: /${source}/: `, '');
    return `"${source}" is not a valid regular expression: ${reason}`;
  }
  if (NOT_IN_RE2.test(source)) return 'lookarounds and backreferences are not supported (the policy engines it exports to use Go regular expressions)';
  return undefined;
}

export function textMatches(match: TextMatch, value: string): boolean {
  return match.kind === 'exact' ? match.value === value : anchoredRegExp(match.value).test(value);
}
