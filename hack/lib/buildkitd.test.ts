import { describe, expect, it } from 'vitest';
import { buildkitdConfig } from './buildkitd.ts';

describe('buildkitdConfig', () => {
  const base = { rootDir: '/state/root', address: 'unix:///state/buildkitd.sock', debug: false };

  it('runs the OCI worker alone, on the given socket and root', () => {
    const toml = buildkitdConfig({ ...base, registries: [] });
    expect(toml).toContain('root = "/state/root"');
    expect(toml).toContain('address = ["unix:///state/buildkitd.sock"]');
    expect(toml).toMatch(/\[worker\.oci\]\n\s+enabled = true/);
    expect(toml).toMatch(/\[worker\.containerd\]\n\s+enabled = false/);
  });

  it('trusts a plain-HTTP registry and a TLS registry through its CA', () => {
    const toml = buildkitdConfig({
      ...base,
      registries: [
        { host: '127.0.0.1:5000', plainHttp: true },
        { host: '127.0.0.1:5443', caFile: '/certs/ca.crt' },
      ],
    });
    expect(toml).toContain('[registry."127.0.0.1:5000"]\n  http = true');
    expect(toml).toContain('[registry."127.0.0.1:5443"]\n  http = false\n  ca = ["/certs/ca.crt"]');
  });

  it('adds a TCP listener with mutual TLS when asked', () => {
    const toml = buildkitdConfig({
      ...base,
      registries: [],
      tcp: { address: 'tcp://127.0.0.1:1234', cert: '/t/server.crt', key: '/t/server.key', ca: '/t/ca.crt' },
    });
    expect(toml).toContain('address = ["unix:///state/buildkitd.sock", "tcp://127.0.0.1:1234"]');
    expect(toml).toContain('  [grpc.tls]\n    cert = "/t/server.crt"\n    key = "/t/server.key"\n    ca = "/t/ca.crt"');
  });

  it('escapes paths so that a quote cannot break the file', () => {
    expect(buildkitdConfig({ ...base, rootDir: '/a"b', registries: [] })).toContain('root = "/a\\"b"');
  });
});
