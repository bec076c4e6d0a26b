// The fault matrix, buildkitd row (docs/faults.md): `kubectl build --push` against a daemon reached
// directly over tcp:// with mutual TLS, through Toxiproxy. Each cell: the exit code, one sentence
// that names the daemon's address and what to do (no stack trace), and the registry afterwards
// (read on the registry itself: nothing under the tag unless the build finished).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './harness/cli.ts';
import { useFaultProxy } from './harness/fault-proxy.ts';
import { scratchDir, useBuildkitd, useRegistry } from './harness/index.ts';
import { manifestState } from './harness/registry-state.ts';
import { useStepSignals } from './harness/step-signals.ts';
import { expectEndedWithin } from './harness/bounds.ts';

const registry = useRegistry({ kind: 'oci', seed: true });
const buildkitd = useBuildkitd({ trust: [registry], tcpTls: true });
const signals = useStepSignals(() => '127.0.0.1');
const daemon = useFaultProxy('buildkitd', () => new URL(buildkitd().tcp?.address.replace('tcp://', 'http://') ?? '').host);

async function buildPush(repository: string, extra: string[] = [], run = `echo ${repository} > /marker`, during?: Promise<unknown>): Promise<{ result: CliResult; tag: string; address: string }> {
  const dir = scratchDir('faults-context');
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry().baseImage}\nRUN ${run}\n`);
  const tls = buildkitd().tcp;
  if (!tls) throw new Error('buildkitd has no TCP listener');
  const address = `tcp://${daemon().host}`;
  const tag = `${registry().host}/${repository}:1`;
  const result = await runCli(
    'kubectl-build',
    ['--progress', 'plain', '--builder-addr', address, '--tls-ca', tls.ca, '--tls-cert', tls.cert, '--tls-key', tls.key, '-t', tag, '--push', ...extra, dir],
    { env: { DOCKER_CONFIG: registry().files.dockerConfigDir }, timeoutMs: 120_000 },
  );
  await during;
  return { result, tag, address };
}

/** The user's view of a failure: exit 1, an error line that names the address, a hint, no stack. */
function expectReported(result: CliResult, address: string, reason: RegExp): void {
  expect(result.status, result.stderr).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^error: cannot reach the BuildKit daemon at ${address.replace(/[.]/g, '\\.')}: `, 'm'));
  expect(result.stderr).toMatch(reason);
  expect(result.stderr).toMatch(/^hint: /m);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('build --push, buildkitd (tcp:// with TLS) behind a fault', () => {
  it('faults-buildkitd refused: fails at once, naming the address', async () => {
    await daemon().refuse();
    const { result, tag, address } = await buildPush('faults/refused');
    expectReported(result, address, /nothing listens there \(connection refused\)/);
    // Timed on purpose: the claim is about time (a refused address fails at once, as buildctl does).
    expect(result.durationMs).toBeLessThan(1_000);
    expect(await manifestState(registry(), tag)).toBe('absent');
  });

  it('faults-buildkitd reset after N bytes: the TLS handshake cut is reported as such', async () => {
    await daemon().resetAfter(64);
    const { result, tag, address } = await buildPush('faults/reset');
    expectReported(result, address, /closes them before gRPC is set up/);
    expect(await manifestState(registry(), tag)).toBe('absent');
  });

  it('faults-buildkitd blackhole: waits --connect-timeout, then says so', async () => {
    await daemon().blackhole();
    const { result, tag, address } = await buildPush('faults/blackhole', ['--connect-timeout', '2s']);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain(`error: cannot reach the BuildKit daemon at ${address} within 2s\nhint: `);
    expect(result.stderr).toMatch(/raise --connect-timeout/);
    expectEndedWithin(result, 10, 'blackhole, --connect-timeout 2s');
    expect(await manifestState(registry(), tag)).toBe('absent');
  });

  it('faults-buildkitd connection cut mid-build: exit 1, the daemon named, the running step cancelled, nothing pushed', async () => {
    // The step waits on the test's server; once it is inside, every connection to the daemon is
    // closed (the proxy stops: a daemon gone, a network cut).
    const cut = signals().holdOpened('cut').then(() => daemon().refuse());
    const { result, tag, address } = await buildPush('faults/cut', [], `wget -qO- ${signals().url}/hold/cut && echo finished > /finished`, cut);
    expect(result.status, result.stderr.slice(-1500)).toBe(1);
    expect(result.stderr).toContain(`error: lost the connection to the BuildKit daemon at ${address}: `);
    expect(result.stderr).toMatch(/^hint: check that the builder is still running, then build again$/m);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(await signals().holdOutcome('cut')).toBe('dropped');
    expect(await manifestState(registry(), tag)).toBe('absent');
  });

  it('faults-buildkitd latency 5 s: the build still finishes and pushes, given a connect timeout above the handshake', async () => {
    await daemon().latency(5_000);
    const { result, tag } = await buildPush('faults/latency', ['--connect-timeout', '60s']);
    expect(result.status, result.stderr.slice(-1500)).toBe(0);
    expect(await manifestState(registry(), tag)).toBe('present');
  }, 180_000);
});
