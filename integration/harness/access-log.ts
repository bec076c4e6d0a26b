// What a registry started by hack/lib/registry.ts was asked, read from its own access log
// (distribution's format: `IP - - [date] "METHOD /path HTTP/1.1" STATUS SIZE "referer" "agent"`):
// for counting the requests of a client no proxy can stand in front of, such as the sweep, which
// reads the registry the Pods name. The registry writes each line as it answers.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Registry } from '../../hack/lib/registry.ts';

const LINE = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

/**
 * Marks the log's end now; the function returned gives every request logged since, as
 * "METHOD /path?query STATUS", in order. Throws when the registry keeps no log here (an external one).
 */
export function accessLogFrom(registry: Registry): () => string[] {
  const file = registry.process.logFile;
  if (!file) throw new Error(`the registry ${registry.host} keeps no access log this test can read`);
  const start = statSync(file).size;
  return () => {
    const end = statSync(file).size;
    const bytes = Buffer.alloc(end - start);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, bytes, 0, bytes.length, start);
    } finally {
      closeSync(fd);
    }
    return bytes
      .toString('utf8')
      .split('\n')
      .map((line) => LINE.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => `${match[1]} ${match[2]} ${match[3]}`);
  };
}

/** The statuses of GET and HEAD requests for exactly `path` (query ignored) among `lines`. */
export function readsOf(lines: readonly string[], path: string): string[] {
  return lines
    .map((line) => /^(?:GET|HEAD) (\S+) (\d{3})$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && match[1]?.split('?')[0] === path)
    .map((match) => match[2] as string);
}
