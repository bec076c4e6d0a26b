import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { PARSER_CONFIGURATION } from '../run-cli.ts';
import { withBuilderAddressOptions, withBuildOptions } from './build.ts';

function parse(args: string[]) {
  return withBuilderAddressOptions(withBuildOptions(yargs(args).parserConfiguration(PARSER_CONFIGURATION)))
    .command('$0 [path]', false)
    .parseSync();
}

describe('kubectl build flags', () => {
  it('takes one value per occurrence of a repeatable flag, as docker build does', () => {
    const argv = parse(['--build-arg', 'A=1', '-t', 'r/app:1', '-t', 'r/app:2', '--secret', 'id=x', 'ctx']);
    expect(argv.path).toBe('ctx');
    expect(argv['build-arg']).toEqual(['A=1']);
    expect(argv.tag).toEqual(['r/app:1', 'r/app:2']);
    expect(argv.secret).toEqual(['id=x']);
  });

  it('reads --no-cache as the docker flag of that name, not as a negated --cache', () => {
    const argv = parse(['--no-cache', 'ctx']);
    expect(argv['no-cache']).toBe(true);
    expect(argv.path).toBe('ctx');
  });

  it('defaults the context to the current directory and the progress to auto', () => {
    const argv = parse([]);
    expect(argv.path).toBe('.');
    expect(argv.progress).toBe('auto');
    expect(argv.output).toEqual([]);
  });
});
