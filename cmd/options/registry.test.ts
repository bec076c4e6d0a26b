import yargs, { type Argv } from 'yargs';
import { describe, expect, it } from 'vitest';
import { PARSER_CONFIGURATION } from '../run-cli.ts';
import { withBuildOptions } from './build.ts';
import { registryTimeoutMs } from './registry.ts';
import { withSweepOptions } from './sweep.ts';
import { withVerifyOptions } from './verify.ts';

const commands: ReadonlyArray<[string, (parser: Argv) => Argv, string[]]> = [
  ['build', (parser) => withBuildOptions(parser) as unknown as Argv, []],
  ['trust verify', (parser) => withVerifyOptions(parser) as unknown as Argv, []],
  ['trust sweep', (parser) => withSweepOptions(parser) as unknown as Argv, ['--policy', 'p.yaml']],
];

describe.each(commands)('--registry-timeout on %s', (_name, withOptions, required) => {
  const parse = (args: string[]) => withOptions(yargs([...required, ...args]).parserConfiguration(PARSER_CONFIGURATION)).parseSync() as unknown as { 'registry-timeout': string };

  it('defaults to 60 s, takes a Go duration, and its last value when given twice', () => {
    expect(registryTimeoutMs(parse([]))).toBe(60_000);
    expect(registryTimeoutMs(parse(['--registry-timeout', '1m30s']))).toBe(90_000);
    expect(registryTimeoutMs(parse(['--registry-timeout', '5s', '--registry-timeout', '2s']))).toBe(2_000);
  });

  it('refuses what is not a duration as a usage error naming the flag', () => {
    expect(() => registryTimeoutMs(parse(['--registry-timeout', 'soon']))).toThrow(expect.objectContaining({ code: 'USAGE', message: 'invalid duration "soon" for --registry-timeout' }));
  });
});
