// hack/buildx-diff, the judge: one process answers a whole corpus (one JSON case a line in, one
// answer a line out, in order).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { toolsBinDir } from '../../hack/lib/paths.ts';
import { join } from 'node:path';

export interface PeerCase {
  readonly id: string;
  readonly kind: string;
  readonly values?: readonly string[];
  readonly provenance?: string;
  readonly sbom?: string;
  readonly text?: string;
  readonly paths?: readonly string[];
  readonly root?: string;
  readonly includes?: readonly string[];
  readonly excludes?: readonly string[];
}

/** What one side made of a case: a value (compared as JSON) or a refusal. */
export type Outcome = { readonly value: unknown } | { readonly error: string };

export function peerPath(): string {
  const path = join(toolsBinDir(), 'buildx-diff');
  if (!existsSync(path)) throw new Error(`${path} is missing: run hack/tools.sh install`);
  return path;
}

export async function askUpstream(cases: readonly PeerCase[]): Promise<Map<string, Outcome>> {
  const child = spawn(peerPath(), [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
  const status = await exited;
  if (status !== 0) throw new Error(`buildx-diff exited ${status}: ${stderr}`);
  const answers = new Map<string, Outcome>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const answer = JSON.parse(line) as { id: string; value?: unknown; error?: string };
    answers.set(answer.id, answer.error !== undefined ? { error: answer.error } : { value: answer.value ?? null });
  }
  if (answers.size !== cases.length) throw new Error(`buildx-diff answered ${answers.size} of ${cases.length} cases`);
  return answers;
}
