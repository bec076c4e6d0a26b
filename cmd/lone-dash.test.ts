import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { protectLoneDashes, restoreLoneDashes } from './lone-dash.ts';

function parse(args: string[]): Record<string, unknown> {
  let seen: Record<string, unknown> = {};
  yargs(protectLoneDashes(args))
    .command('$0 [path]', false, (command) => command.positional('path', { type: 'string', default: '.' }).option('file', { alias: 'f', type: 'string' }).option('tag', { alias: 't', type: 'string', array: true, nargs: 1 }).option('push', { type: 'boolean' }), (argv) => {
      seen = argv;
    })
    .middleware(restoreLoneDashes)
    .parseSync();
  return seen;
}

describe('a lone "-" on the command line', () => {
  it('reaches PATH, which yargs alone would leave at its default', () => {
    expect(parse(['--push', '-'])).toMatchObject({ path: '-', push: true });
    expect(parse(['-t', 'a', '-t', 'b', '-'])).toMatchObject({ path: '-', tag: ['a', 'b'] });
  });

  it('stays a flag value where it is one, and leaves other values alone', () => {
    expect(parse(['-f', '-', 'dir'])).toMatchObject({ path: 'dir', file: '-' });
    expect(parse(['-t', 'a', '.'])).toMatchObject({ path: '.', tag: ['a'] });
    expect(parse(['dir'])).toMatchObject({ path: 'dir' });
  });
});
