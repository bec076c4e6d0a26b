import { describe, expect, it } from 'vitest';
import { goClean, InvalidPatternError, parseIgnoreFile, PatternMatcher } from './patterns.ts';

const match = (patterns: string[], path: string) => new PatternMatcher(patterns).matches(path);

describe('PatternMatcher (docker ignore rules)', () => {
  it('matches names and everything inside a matched directory', () => {
    expect(match(['node_modules'], 'node_modules')).toBe(true);
    expect(match(['node_modules'], 'node_modules/a/b.js')).toBe(true);
    expect(match(['node_modules'], 'src/node_modules')).toBe(false);
  });

  it('keeps * and ? inside one path segment', () => {
    expect(match(['*.log'], 'debug.log')).toBe(true);
    expect(match(['*.log'], 'logs/debug.log')).toBe(false);
    expect(match(['*/*.log'], 'logs/debug.log')).toBe(true);
    expect(match(['file?.txt'], 'file1.txt')).toBe(true);
    expect(match(['file?.txt'], 'file/.txt')).toBe(false);
  });

  it('lets ** span any number of directories, none included', () => {
    expect(match(['**/*.go'], 'main.go')).toBe(true);
    expect(match(['**/*.go'], 'a/b/c/main.go')).toBe(true);
    expect(match(['a/**/z'], 'a/z')).toBe(true);
    expect(match(['a/**/z'], 'a/b/c/z')).toBe(true);
    expect(match(['a/**'], 'a/b/c')).toBe(true);
  });

  it('applies ! exceptions in order, the last match deciding', () => {
    const patterns = ['*.md', '!README.md'];
    expect(match(patterns, 'NOTES.md')).toBe(true);
    expect(match(patterns, 'README.md')).toBe(false);
    expect(match(['*.md', '!README.md', 'README*'], 'README.md')).toBe(true);
  });

  it('re-includes a file inside an excluded directory', () => {
    const patterns = ['docs', '!docs/keep.txt'];
    expect(match(patterns, 'docs/other.txt')).toBe(true);
    expect(match(patterns, 'docs/keep.txt')).toBe(false);
  });

  it('treats a leading / and ./ in the ignore file as the context root', () => {
    expect(match(parseIgnoreFile('/secret.txt'), 'secret.txt')).toBe(true);
    expect(match(parseIgnoreFile('./build/'), 'build/out.bin')).toBe(true);
    // Given directly (an include list), a rooted pattern stays rooted, as patternmatcher keeps it.
    expect(match(['/secret.txt'], 'secret.txt')).toBe(false);
  });

  it('supports character classes and escapes', () => {
    expect(match(['[abc].txt'], 'b.txt')).toBe(true);
    expect(match(['[^abc].txt'], 'b.txt')).toBe(false);
    expect(match(['\\*.txt'], '*.txt')).toBe(true);
    expect(match(['\\*.txt'], 'a.txt')).toBe(false);
    // Inside [...] a backslash escapes, and ! is no negation (Go's regexp reads the class).
    expect(match(['[a\\-z].txt'], '-.txt')).toBe(true);
    expect(match(['[a\\-z].txt'], 'm.txt')).toBe(false);
    expect(match(['[!a].txt'], 'b.txt')).toBe(false);
    expect(match(['[!a].txt'], '!.txt')).toBe(true);
  });

  it('reads **x at the start as "any path ending in x", as patternmatcher does', () => {
    expect(match(['**foo'], 'barfoo')).toBe(true);
    expect(match(['**'], 'any/thing')).toBe(true);
  });

  it('refuses the patterns Docker refuses', () => {
    for (const bad of ['[', 'a[b', '[]', '[^]', '[a-]', 'a\\', '!', '[z-a]x\\g']) {
      expect(() => new PatternMatcher([bad]), bad).toThrow(InvalidPatternError);
    }
  });

  it('reports whether exceptions exist', () => {
    expect(new PatternMatcher(['a', '!a/b']).hasExclusions).toBe(true);
    expect(new PatternMatcher(['a']).hasExclusions).toBe(false);
  });
});

describe('goClean', () => {
  it('cleans like Go filepath.Clean', () => {
    expect(goClean('/a//b/./c/')).toBe('/a/b/c');
    expect(goClean('a/../b')).toBe('b');
    expect(goClean('/../a')).toBe('/a');
    expect(goClean('./')).toBe('.');
  });
});

describe('parseIgnoreFile', () => {
  it('reads one pattern a line, skipping comments and blank lines', () => {
    expect(parseIgnoreFile('# build output\ndist\n\n  *.log  \r\n!keep.log\n')).toEqual(['dist', '*.log', '!keep.log']);
  });

  it('takes # as a comment only at the very start of a line, and drops a BOM', () => {
    expect(parseIgnoreFile('\uFEFFa\n  # not a comment\n! /b/')).toEqual(['a', '# not a comment', '!b']);
  });
});
