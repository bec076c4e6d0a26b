// How every benchmark repeats its cases: BENCH_RUNS rounds (or the benchmark's own default), one
// warm-up of each case first (page cache, compile cache, the daemon's build cache) that is not
// counted, then the cases interleaved with the order turned each round (ours, theirs; theirs, ours;
// ...), so that neither side always runs first or always on the heels of the other.

/** BENCH_RUNS when set (a whole number >= 1), else the benchmark's own default. */
export function benchRuns(fallback: number): number {
  const given = process.env.BENCH_RUNS;
  if (given === undefined || given === '') return fallback;
  const runs = Number(given);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS=${given} is not a whole number of runs (1 or more)`);
  return runs;
}

export interface Measured {
  /** Wall time of what the case timed, in milliseconds. */
  readonly ms: number;
}

export type Cases<T extends Measured> = Record<string, () => T | Promise<T>>;

/** One warm-up of each case, then `runs` rounds of all of them, each round starting one case later. */
export async function interleaved<T extends Measured>(runs: number, cases: Cases<T>, options: { warmUp?: boolean } = {}): Promise<Record<string, T[]>> {
  const names = Object.keys(cases);
  const run = (name: string) => (cases[name] as () => T | Promise<T>)();
  if (options.warmUp ?? true) for (const name of names) await run(name);
  const samples: Record<string, T[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < runs; round++) {
    for (let n = 0; n < names.length; n++) {
      const name = names[(round + n) % names.length] as string;
      samples[name]?.push(await run(name));
    }
  }
  return samples;
}

/** The middle value (the lower middle of an even count: a value that was measured). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
}

export function medianMs(samples: readonly Measured[] | undefined): number {
  return median((samples ?? []).map((sample) => sample.ms));
}
