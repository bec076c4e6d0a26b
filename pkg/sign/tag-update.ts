// Adding one item to a list that lives under a registry tag (the layers of a .sig manifest, the
// entries of a referrers fallback index). Registries offer no compare-and-swap on tags, so a writer
// that read long before its write (a slow or descheduled process) can put the tag back without
// items others added meanwhile. Two defences:
// - healing: every writer remembers every item it has seen on the tag and writes them all back,
//   so a stale write that dropped someone's item is repaired by any writer still watching;
// - confirmation: after writing, a writer reads the tag again once it is late enough that any
//   writer who read before our write landed has written too (its write takes about as long as
//   ours: the pause is at least our write's duration, jittered); once it has seen contention
//   (items coming and going), it confirms more times over a longer window.
import { setTimeout as sleep } from 'node:timers/promises';
import { KubectlBuildError } from '../errors/index.ts';

/** An image whose signatures are stored: the registry, the repository, the signed digest. */
export interface SignatureTarget {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
}

/** The tag cosign and the OCI fallback derive from a digest: sha256:<hex> -> sha256-<hex>. */
export function digestTag(digest: string): string {
  return digest.replace(':', '-');
}

export interface TagList<T> {
  /** What the tag holds now (empty when the tag does not exist). */
  read(): Promise<T[]>;
  /** Puts the tag back holding these items. */
  write(items: T[]): Promise<void>;
  /** Identity of an item: two items with the same key are the same signature. */
  key(item: T): string;
  readonly ours: T;
  /** For messages: "registry/repository:tag". */
  readonly name: string;
}

export interface TagUpdateOptions {
  /** How many times in a row our item must be seen before we trust it stays. */
  readonly confirmations?: number;
  readonly maxWrites?: number;
  /** A first read made already (overlapping other work), used instead of reading again. */
  readonly firstRead?: Promise<unknown[] | undefined>;
  /** Waits between rounds (tests pass one that does not sleep). */
  readonly pause?: (ms: number) => Promise<unknown>;
}

const MAX_FAILURES = 30;
// Writes the registry itself failed, one after the other: then it is the registry that keeps the
// signature out (an outage, a 5xx on every PUT), not a race, and waiting out maxWrites (half a
// minute) would only delay saying so.
const MAX_FAILED_WRITES_IN_A_ROW = 5;
const CONTENDED_CONFIRMATIONS = 4;
const CONTENDED_PAUSE_MS = 200;

/** Adds `list.ours` to the tag, keeping everything there; resolves with the number of items. */
export async function addToTag<T>(list: TagList<T>, options: TagUpdateOptions = {}): Promise<number> {
  // One confirming read: what matters is how late the last read comes, not how many there are
  // (a stale write that lands before it is seen by it). Two reads at 0.5-1.5x our write's duration
  // each guaranteed no more than one read after 1x; one read after 1-1.5x keeps that guarantee.
  const confirmations = options.confirmations ?? 1;
  const pause = options.pause ?? sleep;
  const maxWrites = options.maxWrites ?? 20;
  let prefetched = (await options.firstRead?.catch(() => undefined)) as T[] | undefined;
  const ourKey = list.key(list.ours);
  // Every item seen on the tag so far, in the order first seen.
  const known = new Map<string, T>();
  let lastWritten: Set<string> | undefined;
  let contended = false;
  let writes = 0;
  let seen = 0;
  let failures = 0;
  // The registry's own refusal of our last write, if it failed: said instead of "did not stay"
  // when the writes run out, since then the registry, not other signers, kept the signature out.
  let lastWriteError: unknown;
  let failedWritesInARow = 0;
  // How long one write takes here: a concurrent writer's stale write lands within about that long
  // after its read, so the pause between our confirmations scales with it.
  let writeMs = 50;
  for (;;) {
    try {
      const current = prefetched ?? (await list.read());
      prefetched = undefined;
      const currentKeys = new Set(current.map((item) => list.key(item)));
      for (const item of current) if (!known.has(list.key(item))) known.set(list.key(item), item);
      // Contention: since our last write, the tag changed by someone else's hand.
      if (lastWritten && (currentKeys.size !== lastWritten.size || [...currentKeys].some((key) => !lastWritten?.has(key)))) contended = true;
      const missing = [...known.keys()].filter((key) => !currentKeys.has(key));
      if (currentKeys.has(ourKey) && missing.length === 0) {
        seen++;
        if (seen >= (contended ? CONTENDED_CONFIRMATIONS : confirmations)) return current.length;
      } else {
        seen = 0;
        if (writes > 0) contended = true;
        if (writes >= maxWrites) {
          if (lastWriteError) throw lastWriteError;
          throw new KubectlBuildError('SIGN_FAILED', `the signature did not stay in ${list.name} after ${writes} writes`, {
            hint: 'too many signers at once on this image; sign again',
          });
        }
        writes++;
        // What is there, what was dropped, and ours: each once.
        const byKey = new Map<string, T>();
        for (const item of [...current, ...missing.map((key) => known.get(key) as T), list.ours]) {
          if (!byKey.has(list.key(item))) byKey.set(list.key(item), item);
        }
        const items = [...byKey.values()];
        const started = Date.now();
        await list.write(items).catch((error: unknown) => {
          lastWriteError = error;
          failedWritesInARow++;
          throw error;
        });
        lastWriteError = undefined;
        failedWritesInARow = 0;
        writeMs = Date.now() - started;
        lastWritten = new Set(items.map((item) => list.key(item)));
        for (const item of items) if (!known.has(list.key(item))) known.set(list.key(item), item);
      }
    } catch (error) {
      // Concurrent writers make registries stumble now and then: a write whose blob another writer
      // is still committing, a read of a tag being rewritten (distribution 2.8 answers 500), a
      // keep-alive connection closed under load. Such a round counts as lost and is tried again
      // after a longer pause, a bounded number of times; refusals (401/403) are final at once.
      failures++;
      const transient = error instanceof KubectlBuildError && (error.code === 'REGISTRY' || error.code === 'UNAVAILABLE');
      if (!transient || failures > MAX_FAILURES || failedWritesInARow >= MAX_FAILED_WRITES_IN_A_ROW) throw error;
    }
    // A jittered pause, long enough for a concurrent writer's stale write to land and be seen;
    // much longer once others are writing too, and after failures.
    const base = contended ? Math.max(CONTENDED_PAUSE_MS, 2 * writeMs) : Math.max(10, writeMs);
    await pause(base * (contended ? 0.5 + Math.random() : 1 + Math.random() / 2) + failures * 50);
  }
}
