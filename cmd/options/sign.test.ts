import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { PARSER_CONFIGURATION } from '../run-cli.ts';
import { parseDuration, withSignOptions } from './sign.ts';

function parse(args: string[]) {
  return withSignOptions(yargs(args).parserConfiguration(PARSER_CONFIGURATION)).parseSync();
}

describe('signing flags', () => {
  it('default to public Sigstore and the transparency log, as cosign does', () => {
    const argv = parse([]);
    expect(argv['tlog-upload']).toBe(true);
    expect(argv['rekor-url']).toBe('https://rekor.sigstore.dev');
    expect(argv['fulcio-url']).toBe('https://fulcio.sigstore.dev');
    expect(argv['oidc-issuer']).toBe('https://oauth2.sigstore.dev/auth');
    expect(argv['oidc-client-id']).toBe('sigstore');
    expect(argv['login-timeout']).toBe('5m');
    expect(argv['sign-timeout']).toBe('30s');
  });

  it('takes --tlog-upload=false explicitly (no --no-X negation here)', () => {
    expect(parse(['--tlog-upload=false'])['tlog-upload']).toBe(false);
    expect(parse(['--tlog-upload', 'false'])['tlog-upload']).toBe(false);
  });

  it('reads durations as cosign writes them', () => {
    expect(parseDuration('login-timeout', '5m')).toBe(300_000);
    expect(parseDuration('login-timeout', '1m30s')).toBe(90_000);
    expect(parseDuration('login-timeout', '500ms')).toBe(500);
    expect(parseDuration('login-timeout', '20')).toBe(20_000);
    expect(() => parseDuration('login-timeout', '5 minutes')).toThrow('invalid duration "5 minutes" for --login-timeout');
  });
});

describe('service flags given twice', () => {
  it('take the last value, as cosign does', () => {
    const argv = parse(['--fulcio-url', 'https://a', '--fulcio-url', 'https://b', '--rekor-url', 'https://r1', '--rekor-url', 'https://r2']);
    expect(argv['fulcio-url']).toBe('https://b');
    expect(argv['rekor-url']).toBe('https://r2');
  });
});
