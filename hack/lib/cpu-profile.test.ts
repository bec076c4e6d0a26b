import { describe, expect, it } from 'vitest';
import { phaseTotals, topSelfTime, type CpuProfile } from './cpu-profile.ts';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9, columnNumber: 0 });

// root -> diffCopy -> walkDir -> lstatSync; root -> anonymous (a data event) -> pump -> readSync;
// root -> parseAsync (start-up); the collector and idle time at the root.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 8, 9, 10] },
    { id: 2, callFrame: frame('diffCopy', 'file:///b/filesync.ts'), children: [3] },
    { id: 3, callFrame: frame('walkDir', 'file:///b/walk.ts'), children: [4] },
    { id: 4, callFrame: frame('lstatSync', 'node:fs') },
    { id: 5, callFrame: frame('', 'file:///b/filesync.ts'), children: [6] },
    { id: 6, callFrame: frame('pump', 'file:///b/filesync.ts'), children: [7] },
    { id: 7, callFrame: frame('readSync', 'node:fs') },
    { id: 8, callFrame: frame('parseAsync', 'file:///b/yargs-factory.js') },
    { id: 9, callFrame: frame('(garbage collector)') },
    { id: 10, callFrame: frame('(idle)') },
  ],
  samples: [4, 4, 3, 7, 6, 8, 9, 10, 10],
  timeDeltas: [1000, 1000, 1000, 2000, 500, 4000, 3000, 10000, 10000],
};

describe('a CPU profile of the upload', () => {
  it('adds each sample to the phase of the first function on its stack that names one', () => {
    expect(phaseTotals(profile)).toEqual({ 'walk + STAT': 3, 'file contents': 2.5, rest: 4, '(garbage collector)': 3, '(idle)': 20 });
  });

  it('lists the functions with the most self time', () => {
    expect(topSelfTime(profile, 3)).toEqual(['    20 ms  (idle) :10', '     4 ms  parseAsync yargs-factory.js:10', '     3 ms  (garbage collector) :10']);
  });
});
