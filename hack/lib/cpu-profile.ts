// Reading a .cpuprofile (node --cpu-prof) of the bundle: each frame named as in our sources through
// the bundle's source maps (the bundle is minified: "l chunk-P72LGTIB.js:22" says nothing), the
// functions with the most self time, and the time per phase of the upload.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapping } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where the samples of a profile went: each phase's milliseconds. */
export type PhaseTotals = Record<string, number>;

/**
 * The phases, by the first function on a sample's stack (from the leaf up) that names one: the
 * walk and its STAT packets run inside diffCopy; a file's contents in the functions that answer
 * the daemon's requests. What no phase claims is start-up, gRPC and progress ("rest").
 */
export const UPLOAD_PHASES: Readonly<Record<string, RegExp>> = {
  'walk + STAT': /^(diffCopy|walkContext|contextWalk|walkTree|walkDir|addStat) .*(filesync|walk|packet-frames)\.ts:/,
  'file contents': /^(sendFile|sendSmall|flushSmall|pump|dataPackets|readWhole) .*filesync\.ts:/,
};

const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    maps.set(url, existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : undefined);
  }
  return maps.get(url);
}

/** "name file:line", with the name and place in our sources where a source map says them. */
export function frameName({ functionName, url, lineNumber, columnNumber }: CallFrame): string {
  // An empty object where the map has no entry.
  const entry = (url === '' ? undefined : sourceMapOf(url)?.findEntry(lineNumber, columnNumber)) as (Partial<SourceMapping> & { name?: string }) | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
    const source = entry.originalSource.replace(/^.*?\/(node_modules|pkg|cmd|hack)\//, '$1/');
    return `${entry.name ?? (functionName || '(anonymous)')} ${source}:${entry.originalLine + 1}`;
  }
  return `${functionName || '(anonymous)'} ${url.replace(/^.*\//, '')}:${lineNumber + 1}`;
}

function sampleTimes(profile: CpuProfile): Map<number, number> {
  const msById = new Map<number, number>();
  profile.samples.forEach((id, i) => msById.set(id, (msById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  return msById;
}

/** The functions with the most self time, as "ms  name file:line". */
export function topSelfTime(profile: CpuProfile, count = 14): string[] {
  const msById = sampleTimes(profile);
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const key = frameName(node.callFrame);
    byFunction.set(key, (byFunction.get(key) ?? 0) + (msById.get(node.id) ?? 0));
  }
  return [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${key}`);
}

/** Milliseconds per phase, with "(garbage collector)", "(idle)" and "rest" beside the named ones. */
export function phaseTotals(profile: CpuProfile, phases: Readonly<Record<string, RegExp>> = UPLOAD_PHASES): PhaseTotals {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const names = new Map(profile.nodes.map((node) => [node.id, frameName(node.callFrame)]));
  const leaves = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  const phaseOf = (id: number): string => {
    const leaf = leaves.get(id);
    if (leaf === '(garbage collector)' || leaf === '(idle)') return leaf;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = names.get(at) ?? '';
      for (const [phase, pattern] of Object.entries(phases)) if (pattern.test(name)) return phase;
    }
    return 'rest';
  };
  const phaseById = new Map(profile.nodes.map((node) => [node.id, phaseOf(node.id)]));
  const totals: PhaseTotals = {};
  for (const [id, ms] of sampleTimes(profile)) {
    const phase = phaseById.get(id) ?? 'rest';
    totals[phase] = (totals[phase] ?? 0) + ms;
  }
  return totals;
}
