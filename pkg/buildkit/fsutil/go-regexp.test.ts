import { describe, expect, it } from 'vitest';
import { goRegExp, GoRegexpError } from './go-regexp.ts';

describe('goRegExp', () => {
  it("reads Go's syntax where JavaScript's differs", () => {
    expect(goRegExp('^a.$').test('a\r')).toBe(true); // Go's . stops only at \n
    expect(goRegExp('^a.$').test('a\n')).toBe(false);
    expect(goRegExp('^[[:alpha:]]$').test('q')).toBe(true);
    expect(goRegExp('^\\s$').test('\u00a0')).toBe(false); // Go's \s is ASCII
    expect(goRegExp('^a]$').test('a]')).toBe(true);
    expect(goRegExp('^[a\\-z]$').test('-')).toBe(true);
    expect(goRegExp('^\\-$').test('-')).toBe(true);
  });

  it("refuses what Go refuses, and Go-only syntax it does not translate", () => {
    for (const bad of ['^\\g$', '^[z-a]$', '^[[:bogus:]]$', '^[a$', '^\\pL$', '^\\Qa\\E$']) expect(() => goRegExp(bad), bad).toThrow(GoRegexpError);
  });
});
