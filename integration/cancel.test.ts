// Stopping `kubectl build --push --sign` at each phase (docs/faults.md, "Cancel and kill"): Ctrl-C
// (SIGINT, exit 130) and SIGTERM (exit 143) sent when the flow itself shows it is in that phase (the
// CLI's progress, a RUN step calling the test's server, the registry proxy receiving a request), and
// the daemon killed mid-build. Each cell: the exit code, one sentence (no stack trace), and what the
// registry holds afterwards, read on the registry itself (registry-state.ts: 404 = absent): nothing
// under the tag unless the push finished, no signature where signing was stopped, no list without
// its children.
import { closeSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, stderrShows, type CliOptions, type CliResult } from './harness/cli.ts';
import { generateKeyPair } from './harness/cosign.ts';
import { neverAnswer } from './harness/http-forwarder.ts';
import { scratchDir, useBuildkitd, useRegistry } from './harness/index.ts';
import { useProxiedRegistry } from './harness/registry-proxy.ts';
import { digestTag, manifestState, readManifest } from './harness/registry-state.ts';
import { useStepSignals } from './harness/step-signals.ts';

const registry = useRegistry({ kind: 'oci', seed: true });
// The builder pushes through the proxy too: a test holds one request of the push or of signing.
const proxied = useProxiedRegistry(registry);
const buildkitd = useBuildkitd({ trust: [registry, proxied] });
// The local buildkitd's RUN steps share this machine's network.
const signals = useStepSignals(() => '127.0.0.1');

function context(dockerfile: string): string {
  const dir = scratchDir('cancel-context');
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

/** kubectl build --push --sign (key, no log) of `dir` as `repository:1` on the proxy, stopped by `options.interruptWhen`. */
async function buildPushSign(dir: string, repository: string, options: CliOptions, extra: string[] = []): Promise<CliResult & { tag: string }> {
  const key = await generateKeyPair({ dir: scratchDir('cancel-key'), dockerConfigDir: registry().files.dockerConfigDir }, 'cancel');
  const tag = `${proxied().host}/${repository}:1`;
  const result = await runCli(
    'kubectl-build',
    ['--progress', 'plain', '-t', tag, '--push', '--sign', '--tlog-upload=false', '--cosign-key', key.privateKey, ...extra, dir],
    { env: { BUILDKIT_HOST: buildkitd().address, DOCKER_CONFIG: proxied().files.dockerConfigDir, COSIGN_PASSWORD: key.password }, timeoutMs: 120_000, ...options },
  );
  return { ...result, tag };
}

/** The tag as stored on the registry itself, not through the proxy. */
function onRegistry(tag: string): string {
  return tag.replace(proxied().host, registry().host);
}

const EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** A stopped build as the user meets it: the signal's exit code, one error sentence (SIGTERM named), a hint, no stack. */
function expectStopped(result: CliResult, signal: keyof typeof EXIT, sentence: RegExp): void {
  expect(result.status, result.stderr.slice(-1500)).toBe(EXIT[signal]);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors, result.stderr.slice(-1500)).toHaveLength(1);
  expect(errors[0]).toMatch(sentence);
  if (signal === 'SIGTERM') expect(errors[0]).toMatch(/ \(SIGTERM\)$/);
  else expect(errors[0]).not.toMatch(/SIGTERM/);
  expect(result.stderr).toMatch(/^hint: /m);
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe.each(['SIGINT', 'SIGTERM'] as const)('build --push --sign stopped by %s', (signal) => {
  const slug = signal.toLowerCase();

  it(`cancel ${signal} during the context upload: exit ${EXIT[signal]}, nothing pushed`, async () => {
    // 1 GiB (sparse here, sent in full): its transfer is still under way when the signal comes.
    const dir = context(`FROM ${registry().baseImage}\nCOPY big /big\n`);
    const big = openSync(join(dir, 'big'), 'w');
    ftruncateSync(big, 1024 ** 3);
    closeSync(big);
    const upload = stderrShows('[internal] load build context');
    const result = await buildPushSign(dir, `cancel/${slug}/upload`, { ...upload, interruptWhen: upload.shown, interruptWith: signal });
    expectStopped(result, signal, /^error: build cancelled/);
    // The upload had started and not finished when the CLI took the signal: its step had not said
    // "transferring done" yet (the step's DONE comes at once; that line when the transfer ends, or
    // is cancelled).
    const uploadStep = /^(#\d+) \[internal\] load build context$/m.exec(result.stderr)?.[1];
    expect(uploadStep, result.stderr).toBeDefined();
    const beforeSignal = result.stderr.split(/^(cancelling|stopping on SIGTERM) /m)[0];
    expect(beforeSignal).not.toMatch(new RegExp(`^${uploadStep} transferring done`, 'm'));
    expect(await manifestState(registry(), onRegistry(result.tag))).toBe('absent');
  });

  it(`cancel ${signal} during the solve (a RUN step): exit ${EXIT[signal]}, the step killed, nothing pushed`, async () => {
    const hold = `solve-${slug}`;
    const dir = context(`FROM ${registry().baseImage}\nRUN wget -qO- ${signals().url}/hold/${hold} && echo finished > /finished\n`);
    const result = await buildPushSign(dir, `cancel/${slug}/solve`, { interruptWhen: signals().holdOpened(hold), interruptWith: signal });
    expectStopped(result, signal, /^error: build cancelled/);
    expect(await signals().holdOutcome(hold)).toBe('dropped');
    expect(await manifestState(registry(), onRegistry(result.tag))).toBe('absent');
  });

  it(`cancel ${signal} during the push (the manifest PUT held): exit ${EXIT[signal]}, nothing under the tag`, async () => {
    const manifestPut = neverAnswer(/^PUT \/v2\/cancel\/[^/]+\/push\/manifests\/1$/);
    proxied().intercept(manifestPut);
    const dir = context(`FROM ${registry().baseImage}\nRUN echo push-${slug} $RANDOM > /marker\n`);
    const result = await buildPushSign(dir, `cancel/${slug}/push`, { interruptWhen: manifestPut.reached, interruptWith: signal });
    expectStopped(result, signal, /^error: build cancelled/);
    expect(await manifestState(registry(), onRegistry(result.tag))).toBe('absent');
  });

  it(`cancel ${signal} during signing (the signature PUT held): exit ${EXIT[signal]}, the image pushed, no signature`, async () => {
    const signaturePut = neverAnswer(/^PUT \/v2\/.*\/manifests\/sha256-[0-9a-f]{64}\.sig$/);
    proxied().intercept(signaturePut);
    const dir = context(`FROM ${registry().baseImage}\nRUN echo sign-${slug} $RANDOM > /marker\n`);
    const repository = `cancel/${slug}/sign`;
    const result = await buildPushSign(dir, repository, { interruptWhen: signaturePut.reached, interruptWith: signal });
    expectStopped(result, signal, /^error: cancelled while signing: \S+ was pushed as sha256:[0-9a-f]{64}, unsigned unless a signature's write was already under way/);
    const digest = /was pushed as (sha256:[0-9a-f]{64})/.exec(result.stderr)?.[1] as string;
    expect(await manifestState(registry(), `${registry().host}/${repository}@${digest}`)).toBe('present');
    expect(await readManifest(registry(), repository, `${digestTag(digest)}.sig`)).toBeUndefined();
  });

  it(`cancel ${signal} during the list assembly (the list's PUT held): exit ${EXIT[signal]}, the platforms pushed by digest, no list`, async () => {
    const repository = `cancel/${slug}/list`;
    const listPut = neverAnswer(new RegExp(`^PUT /v2/${repository}/manifests/1$`));
    proxied().intercept(listPut);
    const dir = context(`FROM scratch\nARG TARGETPLATFORM\nCOPY Dockerfile /\n`);
    const requestsBefore = proxied().requests.length;
    const result = await buildPushSign(dir, repository, { interruptWhen: listPut.reached, interruptWith: signal }, ['--platform', 'linux/amd64,linux/arm64', '--sign-recursive']);
    expectStopped(result, signal, /^error: cancelled while assembling the list: the platform images were pushed by digest, the list was not pushed/);
    expect(await manifestState(registry(), onRegistry(result.tag))).toBe('absent');
    // The children the builder pushed by digest are all there (a list pushed later finds them).
    const children = proxied()
      .requests.slice(requestsBefore)
      .flatMap((request) => new RegExp(`^PUT /v2/${repository}/manifests/(sha256:[0-9a-f]{64})$`).exec(request)?.[1] ?? []);
    expect(children).toHaveLength(2);
    for (const child of children) expect(await manifestState(registry(), `${registry().host}/${repository}@${child}`)).toBe('present');
  });
});

describe('the daemon killed mid-build', () => {
  // A daemon of its own: the one above keeps serving the other tests.
  const victim = useBuildkitd({ trust: [registry] });

  it('kill buildkitd (SIGKILL) while a RUN step runs: exit 1, the daemon named, nothing pushed', async () => {
    const dir = context(`FROM ${registry().baseImage}\nRUN wget -qO- ${signals().url}/hold/killed && echo finished > /finished\n`);
    const tag = `${registry().host}/cancel/killed:1`;
    const killed = signals().holdOpened('killed').then(() => process.kill(victim().process.pid, 'SIGKILL'));
    const result = await runCli('kubectl-build', ['--progress', 'plain', '-t', tag, '--push', dir], {
      env: { BUILDKIT_HOST: victim().address, DOCKER_CONFIG: registry().files.dockerConfigDir },
      timeoutMs: 120_000,
    });
    await killed;
    expect(result.status, result.stderr.slice(-1500)).toBe(1);
    expect(result.stderr).toContain(`error: lost the connection to the BuildKit daemon at ${victim().address}: `);
    expect(result.stderr).toMatch(/^hint: check that the builder is still running, then build again$/m);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(await manifestState(registry(), tag)).toBe('absent');
  });
});
