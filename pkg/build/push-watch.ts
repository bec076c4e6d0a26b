// Bounds the builder's push by --registry-timeout. BuildKit's own push has no answer timeout (its
// HTTP transport bounds the dial and the TLS handshake only), so a registry that takes the
// connection and never answers holds the build forever. Its progress is one status per phase
// ("pushing layers", "pushing manifest for REF"), never the bytes of a layer, so silence alone
// cannot tell a big layer uploading slowly from a registry that stopped answering: after a phase
// was silent for the timeout, the registry is asked something small from here (registry/probe.ts).
// Silent too: the push is stuck, and the build is cancelled naming the registry. Answering: the push
// is slow, and is given the timeout again.
import type { StatusResponse } from '../buildkit/types.ts';
import { KubectlBuildError } from '../errors/index.ts';
import type { ProbeOutcome } from '../registry/probe.ts';

export interface PushWatchOptions {
  /** --registry-timeout */
  readonly timeoutMs: number;
  /** The registries the image is pushed to (hosts of the tags). */
  readonly registries: readonly string[];
  /** Asks a registry from this machine, within the timeout. */
  readonly probe: (registry: string, timeoutMs: number) => Promise<ProbeOutcome>;
  /** Called once, when the push is found stuck: cancel the solve and report `error`. */
  readonly onStuck: (error: KubectlBuildError) => void;
}

/** The push phases' status IDs (BuildKit's util/push); anything else of the solve is not watched. */
const PUSH_PHASE = /^pushing /;

export class PushWatch {
  readonly #options: PushWatchOptions;
  /** Push phases started and not completed, by status ID. */
  readonly #open = new Set<string>();
  /** The vertices the push phases belong to: a log line there (BuildKit's "retrying in 1s") is news too. */
  readonly #vertices = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** Bumped on every piece of news, so a probe that was started before it is not acted on. */
  #generation = 0;
  #stopped = false;

  constructor(options: PushWatchOptions) {
    this.#options = options;
  }

  observe(status: StatusResponse): void {
    let news = false;
    for (const phase of status.statuses) {
      if (!PUSH_PHASE.test(phase.ID)) continue;
      news = true;
      this.#vertices.add(phase.vertex);
      if (phase.completed) this.#open.delete(phase.ID);
      else if (phase.started) this.#open.add(phase.ID);
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
    const { registries, probe, timeoutMs } = this.#options;
    const outcomes = await Promise.all(registries.map(async (registry) => ({ registry, outcome: await probe(registry, timeoutMs) })));
    if (this.#stopped || generation !== this.#generation) return;
    const silent = outcomes.find((candidate) => candidate.outcome === 'silent');
    if (!silent) return this.#rearm();
    this.stop();
    this.#options.onStuck(stuckPush(silent.registry, timeoutMs));
  }
}

export function stuckPush(registry: string, timeoutMs: number): KubectlBuildError {
  return new KubectlBuildError('UNAVAILABLE', `the registry ${registry} did not answer the builder's push within ${timeoutMs / 1000} s`, {
    hint: 'check that the registry is up and reachable from the builder (the builder pushes, not this machine), or raise --registry-timeout',
  });
}
