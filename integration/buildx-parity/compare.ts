// Both sides on one corpus: a case agrees when both refuse it, or both give the same value. A
// refusal of ours where upstream accepts is allowed only when the deliberate-refusals table lists it.
import { isDeepStrictEqual } from 'node:util';
import type { Answer } from './ours.ts';
import type { Outcome, PeerCase } from './peer.ts';
import { deliberateRefusal } from './refusals.ts';

export interface KindTally {
  agree: number;
  deliberate: number;
  total: number;
  disagreements: Array<{ id: string; input: PeerCase; upstream: Outcome; ours: Outcome }>;
}

export async function compareCorpus(cases: readonly PeerCase[], upstream: Map<string, Outcome>, answers: Partial<Record<string, Answer>>): Promise<Record<string, KindTally>> {
  const tallies: Record<string, KindTally> = {};
  for (const c of cases) {
    const answer = answers[c.kind];
    if (!answer) continue;
    const tally = (tallies[c.kind] ??= { agree: 0, deliberate: 0, total: 0, disagreements: [] });
    tally.total++;
    const theirs = upstream.get(c.id) as Outcome;
    const ours = await answer(c);
    if ('error' in theirs && 'error' in ours) tally.agree++;
    else if ('value' in theirs && 'value' in ours && isDeepStrictEqual(theirs.value, ours.value)) tally.agree++;
    else if ('value' in theirs && 'error' in ours && deliberateRefusal(c, ours.error)) tally.deliberate++;
    else tally.disagreements.push({ id: c.id, input: c, upstream: theirs, ours });
  }
  return tallies;
}
