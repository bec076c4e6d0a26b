import { describe, expect, it } from 'vitest';
import { ContextFilter } from './filter.ts';

// The walk's order, each entry with its verdict (integration/buildx-parity.test.ts compares whole
// trees with fsutil's own walk).
function verdicts(includes: string[], excludes: string[], entries: Array<[string, boolean]>): string[] {
  const filter = new ContextFilter(includes, excludes);
  return entries.map(([path, isDir]) => `${path}:${filter.decide(path, isDir)}`);
}

describe('ContextFilter', () => {
  it('prunes an excluded directory when no exception can reach inside it', () => {
    expect(verdicts([], ['docs'], [['docs', true], ['src', true]])).toEqual(['docs:prune', 'src:send']);
  });

  it('walks an excluded directory an exception names, sending only what it re-includes', () => {
    expect(verdicts([], ['docs', '!docs/keep.txt'], [['docs', true], ['docs/a.md', false], ['docs/keep.txt', false]])).toEqual([
      'docs:hold',
      'docs/a.md:hold',
      'docs/keep.txt:send',
    ]);
  });

  it('starts from the parent directory: an exception not evaluated for the parent does not re-include its children', () => {
    expect(verdicts([], ['src/*.go', '!src'], [['src', true], ['src/main.go', false]])).toEqual(['src:send', 'src/main.go:hold']);
  });

  it('prunes directories no plain include pattern reaches', () => {
    expect(verdicts(['src/app'], [], [['docs', true], ['src', true], ['src/app', true], ['src/app/x', false], ['src/other', true]])).toEqual([
      'docs:prune',
      'src:hold',
      'src/app:send',
      'src/app/x:send',
      'src/other:prune',
    ]);
  });
});
