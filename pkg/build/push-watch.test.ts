import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StatusResponse, VertexStatus } from '../buildkit/types.ts';
import type { KubectlBuildError } from '../errors/index.ts';
import type { ProbeOutcome } from '../registry/probe.ts';
import { PushWatch } from './push-watch.ts';

const at = { seconds: '1', nanos: 0 };

function phase(ID: string, state: 'started' | 'completed'): StatusResponse {
  const status: VertexStatus = { ID, vertex: 'sha256:export', name: ID, current: '0', total: '0', timestamp: at, started: at, completed: state === 'completed' ? at : null };
  return { vertexes: [], statuses: [status], logs: [], warnings: [] };
}

/** A status on the cache export's vertex, with the vertex announced (as BuildKit sends it first). */
function cachePhase(ID: string, state: 'started' | 'completed', digest = 'sha256:cache'): StatusResponse {
  const status: VertexStatus = { ID, vertex: digest, name: ID, current: '0', total: '0', timestamp: at, started: at, completed: state === 'completed' ? at : null };
  const vertex = { digest, inputs: [], name: 'exporting cache to registry', cached: false, started: at, completed: null, error: '' };
  return { vertexes: [vertex], statuses: [status], logs: [], warnings: [] };
}

function retryLog(): StatusResponse {
  return { vertexes: [], statuses: [], logs: [{ vertex: 'sha256:export', timestamp: at, stream: '2', msg: Buffer.from('retrying in 1s\n') }], warnings: [] };
}

describe('PushWatch', () => {
  let probed: string[];
  let stuck: KubectlBuildError[];
  let answer: ProbeOutcome;

  function watch(registries = ['registry.example:5000'], cacheRegistries: string[] = []): PushWatch {
    return new PushWatch({
      timeoutMs: 2_000,
      registries,
      cacheRegistries,
      probe: async (registry) => {
        probed.push(registry);
        return answer;
      },
      onStuck: (error) => stuck.push(error),
    });
  }

  beforeEach(() => {
    vi.useFakeTimers();
    probed = [];
    stuck = [];
    answer = 'silent';
  });
  afterEach(() => vi.useRealTimers());

  it('cancels a push phase silent for the timeout whose registry is silent too, naming the registry and the flag', async () => {
    const push = watch();
    push.observe(phase('pushing layers', 'started'));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(probed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(probed).toEqual(['registry.example:5000']);
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ code: 'UNAVAILABLE', message: "the registry registry.example:5000 did not answer the builder's push within 2 s" });
    expect(stuck[0]?.hint).toMatch(/raise --registry-timeout/);
  });

  it('gives a slow push whose registry answers from here the timeout again, and cancels it once the registry goes silent', async () => {
    const push = watch();
    answer = 'answered';
    push.observe(phase('pushing layers', 'started'));
    await vi.advanceTimersByTimeAsync(6_000);
    expect(probed).toHaveLength(3);
    expect(stuck).toEqual([]);
    answer = 'silent';
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stuck).toHaveLength(1);
  });

  it('does not judge a push by a registry this machine cannot reach (the builder may be on another network)', async () => {
    const push = watch();
    answer = 'unreachable';
    push.observe(phase('pushing layers', 'started'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probed.length).toBeGreaterThan(0);
    expect(stuck).toEqual([]);
  });

  it('counts each new phase and each log line of the push (BuildKit retrying) as news', async () => {
    const push = watch();
    push.observe(phase('pushing layers', 'started'));
    await vi.advanceTimersByTimeAsync(1_500);
    push.observe(retryLog());
    await vi.advanceTimersByTimeAsync(1_500);
    push.observe(phase('pushing layers', 'completed'));
    push.observe(phase('pushing manifest for registry.example:5000/app:1@sha256:00', 'started'));
    await vi.advanceTimersByTimeAsync(1_500);
    expect(probed).toEqual([]);
  });

  it('watches nothing before the push starts, after it completed, or once stopped', async () => {
    const push = watch();
    push.observe({ vertexes: [], statuses: [{ ...phase('exporting layers', 'started').statuses[0] as VertexStatus }], logs: [], warnings: [] });
    await vi.advanceTimersByTimeAsync(10_000);
    push.observe(phase('pushing layers', 'started'));
    push.observe(phase('pushing layers', 'completed'));
    await vi.advanceTimersByTimeAsync(10_000);
    push.observe(phase('pushing manifest for registry.example:5000/app:1', 'started'));
    push.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probed).toEqual([]);
  });

  it('watches a cache export to a registry as a push, and names it a cache export when only the cache goes there', async () => {
    const push = watch([], ['cache.example:5000']);
    push.observe(cachePhase('writing layer sha256:00', 'started'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(probed).toEqual(['cache.example:5000']);
    expect(stuck[0]).toMatchObject({ code: 'UNAVAILABLE', message: "the registry cache.example:5000 did not answer the builder's cache export within 2 s" });
  });

  it('asks each registry once when the image and the cache go to the same one, and calls it the push', async () => {
    const push = watch(['registry.example:5000'], ['registry.example:5000']);
    push.observe(cachePhase('writing config sha256:00', 'started'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(probed).toEqual(['registry.example:5000']);
    expect(stuck[0]?.message).toBe("the registry registry.example:5000 did not answer the builder's push within 2 s");
  });

  it('leaves a cache export alone when no cache goes to a registry (a local cache, say), and ends the watch when its phases complete', async () => {
    const local = watch(['registry.example:5000'], []);
    local.observe(cachePhase('writing layer sha256:00', 'started'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probed).toEqual([]);
    const exported = watch([], ['cache.example:5000']);
    exported.observe(cachePhase('writing layer sha256:00', 'started'));
    exported.observe(cachePhase('writing layer sha256:00', 'completed'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probed).toEqual([]);
  });

  it('keeps one cache export open while another with the same status completes (phases are per vertex)', async () => {
    const push = watch([], ['cache.example:5000']);
    push.observe(cachePhase('writing config sha256:00', 'started', 'sha256:first'));
    push.observe(cachePhase('writing config sha256:00', 'started', 'sha256:second'));
    push.observe(cachePhase('writing config sha256:00', 'completed', 'sha256:first'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(probed).toEqual(['cache.example:5000']);
    expect(stuck).toHaveLength(1);
  });
});
