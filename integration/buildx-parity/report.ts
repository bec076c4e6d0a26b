// `node integration/buildx-parity/report.ts [ROOT]`: the agreement figures per parser, and the first
// disagreements of each, for a tree of our sources at ROOT (default: this checkout). Used to
// measure a parser before and after a change; the test asserts the same comparison.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compareCorpus } from './compare.ts';
import { flagCases, ignoreCases, walkPatternSets, walkTree } from './corpus.ts';
import type { Answer } from './ours.ts';
import { askUpstream, type PeerCase } from './peer.ts';

const root = resolve(process.argv[2] ?? '.');
const answers = ((await import(join(root, 'integration/buildx-parity/ours.ts'))) as { ourAnswers: Record<string, Answer> }).ourAnswers;
const tree = mkdtempSync(join(tmpdir(), 'kb-parity-'));
for (const [path, kind] of walkTree(60)) {
  if (kind === 'dir') mkdirSync(join(tree, path), { recursive: true });
  else writeFileSync(join(tree, path), path);
}
const cases: PeerCase[] = [...flagCases(150), ...ignoreCases(400), ...walkPatternSets(250).map((set) => ({ kind: 'walk', root: tree, ...set }))];
const tallies = await compareCorpus(cases, await askUpstream(cases), answers);
for (const [kind, tally] of Object.entries(tallies)) {
  console.log(`${kind}: ${tally.agree + tally.deliberate}/${tally.total} agree (${tally.deliberate} deliberate refusals)`);
  for (const d of tally.disagreements.slice(0, Number(process.env.SHOW ?? 4))) {
    const input = d.input.kind === 'walk' ? { excludes: d.input.excludes, includes: d.input.includes } : { values: d.input.values, text: d.input.text };
    console.log(`  ${d.id} ${JSON.stringify(input)}\n    upstream: ${JSON.stringify(d.upstream).slice(0, 300)}\n    ours:     ${JSON.stringify(d.ours).slice(0, 300)}`);
  }
}
