import { describe, expect, it } from 'vitest';
import { anchoredRegExp, globMatches, regExpProblem } from './patterns.ts';

describe('globMatches', () => {
  const matches = (glob: string, name: string, tag?: string) => globMatches(glob, tag === undefined ? { name } : { name, tag });

  it('lets * stay inside one path segment and ** cross them', () => {
    expect(matches('registry.example.com/*', 'registry.example.com/app')).toBe(true);
    expect(matches('registry.example.com/*', 'registry.example.com/team/app')).toBe(false);
    expect(matches('registry.example.com/**', 'registry.example.com/team/app')).toBe(true);
    expect(matches('registry.example.com/team/*/api', 'registry.example.com/team/x/api')).toBe(true);
  });

  it('matches ? against one character other than /', () => {
    expect(matches('r.example/app-?', 'r.example/app-1')).toBe(true);
    expect(matches('r.example/app-?', 'r.example/app-12')).toBe(false);
    expect(matches('r.example/app?x', 'r.example/app/x')).toBe(false);
  });

  it('takes everything else literally, dots included', () => {
    expect(matches('registry.example.com/app', 'registryXexampleXcom/app')).toBe(false);
    expect(matches('r.example/a+b', 'r.example/a+b')).toBe(true);
    expect(matches('r.example/app', 'r.example/app2')).toBe(false);
  });

  it('matches a :tag part only when the image was named by tag', () => {
    expect(matches('r.example/base:*', 'r.example/base', 'v1')).toBe(true);
    expect(matches('r.example/base:*', 'r.example/base')).toBe(false);
    expect(matches('r.example/base:v1', 'r.example/base', 'v2')).toBe(false);
    // A pattern without a tag part matches the repository whatever the tag.
    expect(matches('r.example/base', 'r.example/base', 'v1')).toBe(true);
  });

  it('assumes no registry: Docker Hub images are matched by their full name', () => {
    expect(matches('library/busybox', 'index.docker.io/library/busybox')).toBe(false);
    expect(matches('index.docker.io/library/*', 'index.docker.io/library/busybox')).toBe(true);
  });
});

describe('regexps', () => {
  it('anchors a regexp to the whole value, alternatives included', () => {
    expect(anchoredRegExp('alice@example.com').test('malice@example.com.evil')).toBe(false);
    expect(anchoredRegExp('a|b').test('xa')).toBe(false);
    expect(anchoredRegExp('a|b').test('b')).toBe(true);
  });

  it('refuses what does not compile, or would not in Go', () => {
    expect(regExpProblem('.*@example\\.com')).toBeUndefined();
    expect(regExpProblem('a)|(b')).toMatch(/^"a\)\|\(b" is not a valid regular expression/);
    expect(regExpProblem('(a)\\1')).toMatch(/^lookarounds and backreferences/);
    expect(regExpProblem('(?<=x)y')).toMatch(/^lookarounds and backreferences/);
  });
});
