// An HTTP server that RUN steps call with busybox wget, so a test observes from outside what ran at
// the same time and what was killed, without timing anything:
//
//   GET /meet/ID/NAME  waits until every step of meeting ID has arrived, then answers "together"
//                      (or "alone" after a safety timeout, so a build that never overlaps fails its
//                      assertions instead of hanging); a step arriving after the meeting answers "late".
//   GET /hold/NAME     is never answered by the test: its connection dropping means the step was killed
//                      (the build cancelled it). After the safety timeout it answers "released".
//   GET /held/A,B      answers once every named hold is open: a step that waits on it runs while the
//                      others are inside their long step.
//
// Steps reach it on the host's address: 127.0.0.1 for the local buildkitd (its RUN steps share the
// host's network), the node's address for builder pods.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export type HoldOutcome = 'dropped' | 'released';

export interface StepSignals {
  /** http://host:port, for the Dockerfile. */
  readonly url: string;
  /** A meeting of `count` steps; its id goes into their /meet/ID/NAME. */
  meeting(count: number): string;
  /** How a hold ended: the step's connection dropped (it was killed) or the safety timeout released it. */
  holdOutcome(name: string): Promise<HoldOutcome>;
  /** Resolves when a step has opened hold `name` (it is inside its long step). */
  holdOpened(name: string): Promise<void>;
  close(): Promise<void>;
}

const SAFETY_TIMEOUT_MS = 120_000;

export async function startStepSignals(host: string): Promise<StepSignals> {
  const meetings = new Map<string, { count: number; waiting: ServerResponse[]; done: boolean }>();
  const opened = new Set<string>();
  const outcomes = new Map<string, { promise: Promise<HoldOutcome>; resolve: (outcome: HoldOutcome) => void }>();
  const heldWaiters: Array<{ names: string[]; response: ServerResponse }> = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, SAFETY_TIMEOUT_MS);
    timers.add(timer);
  };
  const outcome = (name: string) => {
    let entry = outcomes.get(name);
    if (!entry) {
      let resolve!: (value: HoldOutcome) => void;
      const promise = new Promise<HoldOutcome>((r) => (resolve = r));
      entry = { promise, resolve };
      outcomes.set(name, entry);
    }
    return entry;
  };
  const openWaiters: Array<{ name: string; resolve: () => void }> = [];
  const answerHeldWaiters = () => {
    for (const waiter of openWaiters.filter(({ name }) => opened.has(name))) {
      openWaiters.splice(openWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    for (const waiter of [...heldWaiters]) {
      if (waiter.names.every((name) => opened.has(name))) {
        heldWaiters.splice(heldWaiters.indexOf(waiter), 1);
        waiter.response.end('held\n');
      }
    }
  };

  const server = createServer((request, response) => {
    const [, kind, first, second] = (request.url ?? '').split('/');
    if (kind === 'meet' && first && second) {
      const meeting = meetings.get(first);
      if (!meeting) return void response.writeHead(404).end('no such meeting\n');
      if (meeting.done) return void response.end('late\n');
      meeting.waiting.push(response);
      if (meeting.waiting.length === meeting.count) {
        meeting.done = true;
        for (const waiting of meeting.waiting) waiting.end('together\n');
      } else {
        later(() => {
          if (!response.writableEnded) response.end('alone\n');
        });
      }
      return;
    }
    if (kind === 'hold' && first) {
      opened.add(first);
      const entry = outcome(first);
      response.on('close', () => {
        if (!response.writableEnded) entry.resolve('dropped');
      });
      later(() => {
        if (!response.destroyed && !response.writableEnded) {
          response.end('released\n');
          entry.resolve('released');
        }
      });
      answerHeldWaiters();
      return;
    }
    if (kind === 'held' && first) {
      heldWaiters.push({ names: first.split(','), response });
      answerHeldWaiters();
      return;
    }
    response.writeHead(404).end();
  });
  // Held requests are meant to stay open: no server-side timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  let next = 0;
  return {
    url: `http://${host}:${port}`,
    meeting(count) {
      const id = `m${++next}`;
      meetings.set(id, { count, waiting: [], done: false });
      return id;
    },
    holdOutcome: (name) => outcome(name).promise,
    holdOpened: (name) =>
      new Promise<void>((resolve) => {
        openWaiters.push({ name, resolve });
        answerHeldWaiters();
      }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A StepSignals server for the enclosing file, listening on `host()` (read once the services run). */
export function useStepSignals(host: () => string): () => StepSignals {
  let signals: StepSignals | undefined;
  beforeAll(async () => {
    signals = await startStepSignals(host());
  });
  afterAll(async () => signals?.close());
  return () => {
    if (!signals) throw new Error('the step signals server is not started: use the handle inside a test');
    return signals;
  };
}
