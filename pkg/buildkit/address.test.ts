import { describe, expect, it } from 'vitest';
import { parseBuilderAddress } from './address.ts';

describe('parseBuilderAddress', () => {
  it('takes a unix socket path', () => {
    expect(parseBuilderAddress('unix:///run/buildkit/buildkitd.sock')).toEqual({
      display: 'unix:///run/buildkit/buildkitd.sock',
      target: 'unix:///run/buildkit/buildkitd.sock',
      transport: 'unix',
    });
  });

  it('takes tcp host:port, IPv6 included', () => {
    expect(parseBuilderAddress('tcp://127.0.0.1:1234').target).toBe('127.0.0.1:1234');
    expect(parseBuilderAddress('tcp://[::1]:1234').target).toBe('[::1]:1234');
    expect(parseBuilderAddress('tcp://buildkitd.svc:1234/').target).toBe('buildkitd.svc:1234');
  });

  it('refuses anything else with a usage error that shows the right forms', () => {
    for (const bad of ['buildkitd:1234', 'unix://relative.sock', 'tcp://host', 'http://x:1']) {
      expect(() => parseBuilderAddress(bad)).toThrow(/invalid builder address/);
    }
  });
});
