// The build's inputs as the command line gives them: the context and Dockerfile (stdin included),
// its ignore file, and the secrets' values. Reads stdin and the environment: only cmd/ may.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import type { SecretSpec } from '../pkg/build/plan.ts';
import { InvalidPatternError, parseIgnoreFile, PatternMatcher } from '../pkg/buildkit/fsutil/patterns.ts';
import type { SecretSource } from '../pkg/buildkit/session/secrets.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { BuildArgv } from './build-run.ts';

export async function locateInputs(argv: BuildArgv, scratch: string): Promise<{ contextDir: string; dockerfile: string }> {
  if (argv.path === '-') {
    // docker build -: the Dockerfile comes on stdin and there is no context.
    if (argv.file !== undefined) throw new KubectlBuildError('USAGE', 'with PATH "-" the Dockerfile comes from stdin; -f cannot be used', { hint: 'drop -f' });
    const context = join(scratch, 'context');
    await writeDockerfileFromStdin(join(scratch, 'dockerfile'));
    await writeFile(join(scratch, '.keep'), '');
    await mkdirp(context);
    return { contextDir: context, dockerfile: join(scratch, 'dockerfile', 'Dockerfile') };
  }
  const contextDir = resolve(argv.path);
  if (argv.file === '-') {
    await writeDockerfileFromStdin(join(scratch, 'dockerfile'));
    return { contextDir, dockerfile: join(scratch, 'dockerfile', 'Dockerfile') };
  }
  return { contextDir, dockerfile: argv.file !== undefined ? resolve(argv.file) : join(contextDir, 'Dockerfile') };
}

async function writeDockerfileFromStdin(dir: string): Promise<void> {
  if (process.stdin.isTTY) {
    throw new KubectlBuildError('USAGE', 'the Dockerfile should come on stdin, but stdin is a terminal', {
      hint: 'pipe it in: kubectl build - < Dockerfile',
    });
  }
  await mkdirp(dir);
  await writeFile(join(dir, 'Dockerfile'), await text(process.stdin));
}

async function mkdirp(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/**
 * The context's ignore file, checked as Docker checks it (the Dockerfile's own NAME.dockerignore
 * first, else .dockerignore in the context): a pattern Docker refuses stops the build here, naming
 * the file and the pattern, instead of failing the transfer later.
 */
export async function checkIgnoreFile(contextDir: string, dockerfile: string): Promise<void> {
  for (const file of [`${dockerfile}.dockerignore`, join(contextDir, '.dockerignore')]) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    try {
      new PatternMatcher(parseIgnoreFile(text));
    } catch (error) {
      if (!(error instanceof InvalidPatternError)) throw error;
      throw new KubectlBuildError('USAGE', `${file} has a pattern Docker refuses: ${error.message}`, {
        hint: 'fix or remove that line (escape a literal [ as \\[, and close every [...] class)',
      });
    }
    return;
  }
}

export function secretSource(specs: readonly SecretSpec[], env: NodeJS.ProcessEnv): SecretSource {
  const byId = new Map(specs.map((spec) => [spec.id, spec]));
  return async (id) => {
    const spec = byId.get(id);
    if (!spec) return undefined;
    if (spec.source.kind === 'env') {
      const value = env[spec.source.name];
      return value === undefined ? undefined : Buffer.from(value);
    }
    try {
      return await readFile(spec.source.path);
    } catch {
      throw new Error(`cannot read the file for secret "${id}"`);
    }
  };
}

// auto: the live view on a terminal, plain text anywhere else (a pipe, a CI log), as buildx does.
