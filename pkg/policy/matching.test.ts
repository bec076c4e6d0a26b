import { describe, expect, it } from 'vitest';
import { maximumMatching } from './matching.ts';

describe('maximumMatching', () => {
  it('reassigns along an augmenting path where a greedy choice would block', () => {
    expect(maximumMatching([['a', 'b'], ['a']])).toEqual(['b', 'a']);
  });

  it('gives each right node to one left node only', () => {
    expect(maximumMatching([['a'], ['a'], ['a']]).filter(Boolean)).toEqual(['a']);
  });

  it('leaves nodes without candidates unmatched', () => {
    expect(maximumMatching([[], ['x']])).toEqual([undefined, 'x']);
  });
});
