// What the README's Benchmarks section promises of every benchmark, held to bench/lib and bench/*.ts:
// BENCH_RUNS read everywhere with the default the README states, one warm-up of each case, the
// cases interleaved with the order turned each round, and every benchmark run by make bench.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { benchRuns, interleaved, median } from './runs.ts';

const BENCHMARKS = readdirSync('bench').filter((name) => name.endsWith('.ts')).map((name) => name.slice(0, -3));

afterEach(() => {
  delete process.env.BENCH_RUNS;
});

describe('interleaved', () => {
  it('runs each case once to warm up, then BENCH_RUNS rounds, each starting one case later', async () => {
    const calls: string[] = [];
    const cases = Object.fromEntries(['ours', 'anchor', 'third'].map((name) => [name, () => (calls.push(name), { ms: calls.length })]));
    const samples = await interleaved(4, cases);
    expect(calls).toEqual([
      'ours', 'anchor', 'third', // the warm-up, not counted
      'ours', 'anchor', 'third',
      'anchor', 'third', 'ours',
      'third', 'ours', 'anchor',
      'ours', 'anchor', 'third',
    ]);
    expect(samples.ours?.map((sample) => sample.ms)).toEqual([4, 9, 11, 13]);
  });

  it('takes the lower middle of an even count: a value that was measured', () => {
    expect(median([4, 1, 3, 2])).toBe(2);
  });
});

describe('BENCH_RUNS', () => {
  it('overrides the default, and is refused when it is not a whole number of runs', () => {
    expect(benchRuns(7)).toBe(7);
    process.env.BENCH_RUNS = '2';
    expect(benchRuns(7)).toBe(2);
    process.env.BENCH_RUNS = '0';
    expect(() => benchRuns(7)).toThrow(/BENCH_RUNS=0/);
  });

  it('is read by every benchmark, whose default is the one the README states', () => {
    // "states: startup 20; sign, cluster-connect and verify 10; ...": the README's list, read back.
    const readme = readFileSync('README.md', 'utf8').replace(/\s+/g, ' ');
    const stated = /which its table's heading states: ([^.(]+)\(/.exec(readme)?.[1] ?? '';
    const defaults = new Map(stated.split(';').flatMap((group) => {
      const [, names, runs] = /^\s*(.+?) (\d+)\s*$/.exec(group) ?? [];
      return (names ?? '').split(/, | and /).map((name) => [name.trim(), Number(runs)] as const);
    }));
    expect([...defaults.keys()].sort()).toEqual([...BENCHMARKS].sort());
    for (const name of BENCHMARKS) {
      const source = readFileSync(`bench/${name}.ts`, 'utf8');
      expect(/benchRuns\((\d+)\)/.exec(source)?.[1], name).toBe(String(defaults.get(name)));
    }
  });
});

describe('make bench', () => {
  it('runs every benchmark in bench/', () => {
    const target = /^bench:.*\n((?:\t.*\n)+)/m.exec(readFileSync('Makefile', 'utf8'))?.[1] ?? '';
    expect(target.match(/bench\/([a-z-]+)\.ts/g)?.map((path) => path.slice(6, -3)).sort()).toEqual([...BENCHMARKS].sort());
  });

  it('times our side through the single executable make release builds, in every benchmark', () => {
    // A source check: linkPlugins links dist/release's executable under the plugins' names (the
    // build-and-push benchmarks reach it through startBuildPush); a benchmark that stops using it fails here.
    expect(readFileSync('bench/lib/build-push.ts', 'utf8')).toMatch(/linkPlugins\(/);
    expect(readFileSync('bench/lib/process.ts', 'utf8')).toMatch(/export function linkPlugins[^]*?singleExecutable\(\)/);
    for (const name of BENCHMARKS) expect(readFileSync(`bench/${name}.ts`, 'utf8'), name).toMatch(/\b(linkPlugins|startBuildPush)\(/);
  });
});
