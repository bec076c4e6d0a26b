import { describe, expect, it } from 'vitest';
import { parseKeyValues } from './options.ts';

describe('parseKeyValues', () => {
  it('reads KEY=VALUE pairs, keeping "=" inside values', () => {
    expect(parseKeyValues('build-arg', ['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
  });

  it('takes a bare KEY from the environment and skips it when unset, as docker build does', () => {
    const env: Record<string, string> = { HTTP_PROXY: 'http://proxy' };
    expect(parseKeyValues('build-arg', ['HTTP_PROXY', 'UNSET'], (k) => env[k])).toEqual({
      HTTP_PROXY: 'http://proxy',
    });
  });

  it('refuses an empty key with a usage error naming the flag', () => {
    expect(() => parseKeyValues('label', ['=v'])).toThrow(/--label/);
  });
});
