// The per-request timeouts the trust commands and the build share (--registry-timeout,
// --kms-timeout): one definition each, the same parsing on every command that has it.
import yargs, { type Argv } from 'yargs';
import { describe, expect, it } from 'vitest';
import { PARSER_CONFIGURATION } from '../run-cli.ts';
import { withBuildOptions } from './build.ts';
import { withExportOptions } from './export.ts';
import { kmsTimeoutMs } from './kms.ts';
import { registryTimeoutMs } from './registry.ts';
import { withSweepOptions } from './sweep.ts';
import { withVerifyOptions } from './verify.ts';

type WithOptions = (parser: Argv) => Argv;
const build: WithOptions = (parser) => withBuildOptions(parser) as unknown as Argv;
const verify: WithOptions = (parser) => withVerifyOptions(parser) as unknown as Argv;
const sweep: WithOptions = (parser) => withSweepOptions(parser) as unknown as Argv;
const exporting: WithOptions = (parser) => withExportOptions(parser) as unknown as Argv;

// flag, a command that has it, what reads it, its default in ms, the command's options and required flags.
const cases: ReadonlyArray<[string, string, (argv: never) => number, number, WithOptions, string[]]> = [
  ['registry-timeout', 'build', registryTimeoutMs, 60_000, build, []],
  ['registry-timeout', 'trust verify', registryTimeoutMs, 60_000, verify, []],
  ['registry-timeout', 'trust sweep', registryTimeoutMs, 60_000, sweep, ['--policy', 'p.yaml']],
  ['kms-timeout', 'trust verify', kmsTimeoutMs, 30_000, verify, []],
  ['kms-timeout', 'trust sweep', kmsTimeoutMs, 30_000, sweep, ['--policy', 'p.yaml']],
  ['kms-timeout', 'trust export', kmsTimeoutMs, 30_000, exporting, ['--policy', 'p.yaml', '--to', 'kyverno']],
];

describe.each(cases)('--%s on %s', (flag, _command, read, defaultMs, withOptions, required) => {
  const ms = (args: string[]) => read(withOptions(yargs([...required, ...args]).parserConfiguration(PARSER_CONFIGURATION)).parseSync() as never);

  it('has its default, takes a Go duration, and its last value when given twice', () => {
    expect(ms([])).toBe(defaultMs);
    expect(ms([`--${flag}`, '1m30s'])).toBe(90_000);
    expect(ms([`--${flag}`, '5s', `--${flag}`, '2s'])).toBe(2_000);
  });

  it('refuses what is not a duration as a usage error naming the flag', () => {
    expect(() => ms([`--${flag}`, 'soon'])).toThrow(expect.objectContaining({ code: 'USAGE', message: `invalid duration "soon" for --${flag}` }));
  });
});
