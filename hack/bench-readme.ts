// Pastes what `make bench` printed into the README, so that the figures it quotes are that output
// and nothing else: each `node bench/NAME.ts` section of the log replaces the README's block between
// <!-- bench:NAME --> and <!-- /bench:NAME -->, under one line saying when and where it was measured.
//   make bench 2>&1 | tee bench.log && node hack/bench-readme.ts bench.log "2 CPUs, load average 3-14"
import { readFileSync, writeFileSync } from 'node:fs';

const [logFile, conditions] = process.argv.slice(2);
if (!logFile || !conditions) {
  console.error('usage: node hack/bench-readme.ts BENCH_LOG "CONDITIONS (CPUs, load, ...)"');
  process.exit(2);
}

/** The log's sections: what each `node bench/NAME.ts` printed, by NAME. */
function sections(log: string): Map<string, string> {
  const found = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name) found.set(name, lines.join('\n').trim());
  };
  for (const line of log.split('\n')) {
    const start = /^node bench\/([a-z-]+)\.ts$/.exec(line);
    if (start) {
      flush();
      name = start[1];
      lines = [];
    } else if (name && !/^(rc=\d+|make(\[\d+\])?: .*)$/.test(line)) {
      lines.push(line);
    }
  }
  flush();
  return found;
}

/** The command lines a benchmark prints after "compared:", as a shell block. */
function fenceCommands(output: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const line of output.split('\n')) {
    const command = /^ {2}\$ (.*)$/.exec(line);
    if (command && !inBlock) {
      out.push('```sh');
      inBlock = true;
    } else if (!command && inBlock) {
      out.push('```');
      inBlock = false;
    }
    out.push(command ? (command[1] as string) : line);
  }
  if (inBlock) out.push('```');
  return out;
}

const measured = sections(readFileSync(logFile, 'utf8'));
const date = new Date().toISOString().slice(0, 10);
let readme = readFileSync('README.md', 'utf8');
for (const [name, output] of measured) {
  const block = new RegExp(`( *)<!-- bench:${name} -->\\n[\\s\\S]*?<!-- /bench:${name} -->`);
  const match = block.exec(readme);
  if (!match) {
    console.error(`bench-readme: the README has no <!-- bench:${name} --> block`);
    process.exit(1);
  }
  const indent = match[1] ?? '';
  const body = [`_\`make bench\`, ${date}, ${conditions}:_`, '', ...fenceCommands(output)].map((line) => (line === '' ? '' : `${indent}${line}`));
  readme = readme.replace(block, `${indent}<!-- bench:${name} -->\n${body.join('\n')}\n${indent}<!-- /bench:${name} -->`);
  console.log(`bench-readme: ${name} pasted`);
}
writeFileSync('README.md', readme);
