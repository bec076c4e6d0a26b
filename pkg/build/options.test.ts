import { describe, expect, it } from 'vitest';
import { parseAttrList, parseKeyValues } from './options.ts';

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

describe('parseAttrList', () => {
  it('splits type from attributes', () => {
    expect(parseAttrList('cache-to', 'type=registry,ref=r/app:cache,mode=max')).toEqual({
      type: 'registry',
      attrs: { ref: 'r/app:cache', mode: 'max' },
    });
  });

  it('keeps commas inside double quotes', () => {
    expect(parseAttrList('output', 'type=image,"name=a/b:1,a/b:2",push=true')).toEqual({
      type: 'image',
      attrs: { name: 'a/b:1,a/b:2', push: 'true' },
    });
  });

  it('applies the default type to a bare value, as buildx does', () => {
    expect(parseAttrList('output', './out', 'local')).toEqual({ type: 'local', attrs: { dest: './out' } });
    expect(parseAttrList('cache-from', 'r/app:cache', 'registry')).toEqual({
      type: 'registry',
      attrs: { ref: 'r/app:cache' },
    });
  });

  it('refuses a list without a type when there is no default', () => {
    expect(() => parseAttrList('secret', 'src=./x')).toThrow(/--secret/);
  });
});
