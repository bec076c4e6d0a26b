// Bounds the builder's push by --registry-timeout. BuildKit's own push has no answer timeout (its
// HTTP transport bounds the dial and the TLS handshake only), so a registry that takes the
// connection and never answers holds the build forever. Its progress is one status per phase
// ("pushing layers", "pushing manifest for REF"), never the bytes of a layer, so silence alone
// cannot tell a big layer uploading slowly from a registry that stopped answering: after a phase
// was silent for the timeout, the registry is asked something small from here (registry/probe.ts).
// Silent too: the push is stuck, and the build is cancelled naming the registry. Answering: the push
// is slow, and is given the timeout again. A cache export to a registry (--cache-to type=registry)
// is a push of its own, on a vertex of its own ("exporting cache to registry"), with the same lack
// of an answer timeout: its statuses ("writing layer ...") are watched the same way.
import type { StatusResponse } from '../buildkit/types.ts';
import { KubectlBuildError } from '../errors/index.ts';
import type { ProbeOutcome } from '../registry/probe.ts';

export interface PushWatchOptions {
  /** --registry-timeout */
  readonly timeoutMs: number;
  /** The registries the image is pushed to (hosts of the tags). */
  readonly registries: readonly string[];
  /** The registries a cache is exported to (--cache-to type=registry,ref=...). */
  readonly cacheRegistries?: readonly string[];
  /** Asks a registry from this machine, within the timeout. */
  readonly probe: (registry: string, timeoutMs: number) => Promise<ProbeOutcome>;
  /** Called once, when the push is found stuck: cancel the solve and report `error`. */
  readonly onStuck: (error: KubectlBuildError) => void;
}

/** The push phases' status IDs (BuildKit's util/push); anything else of the solve is not watched. */
const PUSH_PHASE = /^pushing /;
/** The vertex of a cache export to a registry (BuildKit's solver); every status on it is a phase. */
const CACHE_EXPORT_VERTEX = 'exporting cache to registry';

export class PushWatch {
  readonly #options: PushWatchOptions;
  /** Push phases started and not completed, by vertex and status ID (two cache exports both say "writing config ..."). */
  readonly #open = new Set<string>();
  /** The vertices the push phases belong to: a log line there (BuildKit's "retrying in 1s") is news too. */
  readonly #vertices = new Set<string>();
  /** The cache export vertices, by digest. */
  readonly #cacheVertices = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** Bumped on every piece of news, so a probe that was started before it is not acted on. */
  #generation = 0;
  #stopped = false;

  constructor(options: PushWatchOptions) {
    this.#options = options;
  }

  observe(status: StatusResponse): void {
    let news = false;
    const watchesCache = (this.#options.cacheRegistries ?? []).length > 0;
    for (const vertex of status.vertexes) {
      if (watchesCache && vertex.name === CACHE_EXPORT_VERTEX) this.#cacheVertices.add(vertex.digest);
    }
    for (const phase of status.statuses) {
      if (!PUSH_PHASE.test(phase.ID) && !this.#cacheVertices.has(phase.vertex)) continue;
      news = true;
      this.#vertices.add(phase.vertex);
      const key = `${phase.vertex} ${phase.ID}`;
      if (phase.completed) this.#open.delete(key);
      else if (phase.started) this.#open.add(key);
    }
    if (status.logs.some((log) => this.#vertices.has(log.vertex))) news = true;
    if (news) this.#rearm();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #rearm(): void {
    this.#generation++;
    clearTimeout(this.#timer);
    if (this.#open.size > 0 && !this.#stopped) this.#timer = setTimeout(() => void this.#check(this.#generation), this.#options.timeoutMs);
  }

  async #check(generation: number): Promise<void> {
    const { registries, cacheRegistries = [], probe, timeoutMs } = this.#options;
    const asked = [...new Set([...registries, ...cacheRegistries])];
    const outcomes = await Promise.all(asked.map(async (registry) => ({ registry, outcome: await probe(registry, timeoutMs) })));
    if (this.#stopped || generation !== this.#generation) return;
    const silent = outcomes.find((candidate) => candidate.outcome === 'silent');
    if (!silent) return this.#rearm();
    this.stop();
    // Named by what the builder was sending there: the image, or (to that registry only) the cache.
    const what = registries.includes(silent.registry) ? 'push' : 'cache export';
    this.#options.onStuck(stuckPush(silent.registry, timeoutMs, what));
  }
}

export function stuckPush(registry: string, timeoutMs: number, what: 'push' | 'cache export' = 'push'): KubectlBuildError {
  return new KubectlBuildError('UNAVAILABLE', `the registry ${registry} did not answer the builder's ${what} within ${timeoutMs / 1000} s`, {
    hint: 'check that the registry is up and reachable from the builder (the builder pushes, not this machine), or raise --registry-timeout',
  });
}
