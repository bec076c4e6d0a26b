import yargs, { type Argv } from 'yargs';
import { describe, expect, it } from 'vitest';
import { PARSER_CONFIGURATION } from '../run-cli.ts';
import { withExportOptions } from './export.ts';
import { kmsTimeoutMs } from './kms.ts';
import { withSweepOptions } from './sweep.ts';
import { withVerifyOptions } from './verify.ts';

const commands: ReadonlyArray<[string, (parser: Argv) => Argv, string[]]> = [
  ['trust verify', (parser) => withVerifyOptions(parser) as unknown as Argv, []],
  ['trust sweep', (parser) => withSweepOptions(parser) as unknown as Argv, ['--policy', 'p.yaml']],
  ['trust export', (parser) => withExportOptions(parser) as unknown as Argv, ['--policy', 'p.yaml', '--to', 'kyverno']],
];

describe.each(commands)('--kms-timeout on %s', (_name, withOptions, required) => {
  const parse = (args: string[]) => withOptions(yargs([...required, ...args]).parserConfiguration(PARSER_CONFIGURATION)).parseSync() as unknown as { 'kms-timeout': string };

  it('defaults to 30 s, takes a Go duration, and its last value when given twice', () => {
    expect(kmsTimeoutMs(parse([]))).toBe(30_000);
    expect(kmsTimeoutMs(parse(['--kms-timeout', '1m30s']))).toBe(90_000);
    expect(kmsTimeoutMs(parse(['--kms-timeout', '5s', '--kms-timeout', '2s']))).toBe(2_000);
  });

  it('refuses what is not a duration as a usage error naming the flag', () => {
    expect(() => kmsTimeoutMs(parse(['--kms-timeout', 'soon']))).toThrow(expect.objectContaining({ code: 'USAGE', message: 'invalid duration "soon" for --kms-timeout' }));
  });
});
