// hack/versions.env as data: the one list of pinned peers (KEY=VALUE lines, # comments).
import { readFileSync } from 'node:fs';

export function parseVersions(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Z0-9_]+)=(?:"([^"]*)"|(\S*))$/.exec(line);
    if (!match?.[1]) throw new Error(`hack/versions.env: cannot read line "${line}"`);
    versions[match[1]] = match[2] ?? match[3] ?? '';
  }
  return versions;
}

export function readVersions(file = new URL('../versions.env', import.meta.url)): Record<string, string> {
  return parseVersions(readFileSync(file, 'utf8'));
}
