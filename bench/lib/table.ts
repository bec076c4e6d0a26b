// What every benchmark prints: a Markdown table of medians, ours against its anchor, with the ratio
// ours / anchor, so that the README can quote it as it is (make bench's output pasted between the
// README's markers for that benchmark).
import { median, type Measured } from './runs.ts';

export interface Side {
  /** What ran, as a user would type it (shortened). */
  readonly label: string;
  readonly samples: readonly Measured[];
}

export interface Row {
  /** What the row compares. */
  readonly what: string;
  readonly ours: Side;
  readonly anchor: Side;
}

export type Unit = 'ms' | 's';

const format = (ms: number, unit: Unit) => (unit === 's' ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** The median and the range, e.g. "1.23 s (1.10-1.40)". */
export function summary(samples: readonly Measured[], unit: Unit): string {
  const ms = samples.map((sample) => sample.ms);
  const scaled = (x: number) => (unit === 's' ? (x / 1000).toFixed(2) : x.toFixed(0));
  return `${format(median(ms), unit)} (${scaled(Math.min(...ms))}-${scaled(Math.max(...ms))})`;
}

export function ratio(ours: readonly Measured[], anchor: readonly Measured[]): number {
  return median(ours.map((s) => s.ms)) / median(anchor.map((s) => s.ms));
}

/** The heading line (what, how many runs) and the table: one row per comparison. */
export function printComparison(heading: string, runs: number, rows: readonly Row[], unit: Unit): void {
  console.log(`\n${heading}; ${runs} runs each after one warm-up, interleaved; median (min-max)`);
  console.log('');
  console.log('| | ours | median | anchor | median | ours / anchor |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(`| ${row.what} | ${row.ours.label} | ${summary(row.ours.samples, unit)} | ${row.anchor.label} | ${summary(row.anchor.samples, unit)} | ${ratio(row.ours.samples, row.anchor.samples).toFixed(2)} |`);
  }
}

/** The command lines compared, with the run's scratch directory shown as $WORK. */
export function printCommands(work: string, lines: readonly string[]): void {
  console.log('compared:');
  for (const line of lines) console.log(`  $ ${line.replaceAll(work, '$WORK')}`);
}
