// The build's inputs as the command line gives them: the context and Dockerfile (stdin included),
// --secret and --ssh values. Reads stdin and the environment: only cmd/ may.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import { parseAnnotations, parseAttests, withSourceDateEpoch, type Attest } from '../pkg/build/attest-flags.ts';
import { parseAttrList } from '../pkg/build/options.ts';
import type { SecretSpec, SshSpec } from '../pkg/build/plan.ts';
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

// --secret id=X,src=FILE | id=X,env=VAR | id=X (the variable X), as buildx reads it.
export function parseSecret(value: string): SecretSpec {
  const { attrs } = parseAttrList('secret', value, 'file');
  const id = attrs.id;
  if (!id) throw new KubectlBuildError('USAGE', `--secret "${value}" has no id`, { hint: 'use --secret id=NAME,src=FILE or id=NAME,env=VAR' });
  const path = attrs.src ?? attrs.source;
  if (path !== undefined) return { id, source: { kind: 'file', path: resolve(path) } };
  return { id, source: { kind: 'env', name: attrs.env ?? id } };
}

// --ssh default | ID=PATH[,PATH...]: without paths, the agent at $SSH_AUTH_SOCK (as buildx does).
export function parseSsh(value: string, agentSocket: string | undefined): SshSpec {
  const eq = value.indexOf('=');
  const id = eq === -1 ? value : value.slice(0, eq);
  const paths = eq === -1 ? [] : value.slice(eq + 1).split(',').filter(Boolean).map((path) => resolve(path));
  if (id === '') throw new KubectlBuildError('USAGE', `--ssh "${value}" has no id`, { hint: 'use --ssh default or --ssh ID=PATH' });
  if (paths.length > 0) return { id, paths };
  if (!agentSocket) {
    throw new KubectlBuildError('USAGE', `--ssh ${id} needs an ssh-agent, and SSH_AUTH_SOCK is not set`, {
      hint: `start one (eval "$(ssh-agent)" && ssh-add), or give a key: --ssh ${id}=~/.ssh/id_ed25519`,
    });
  }
  return { id, paths: [agentSocket] };
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

/** --attest, --provenance, --sbom, --annotation, and SOURCE_DATE_EPOCH from the environment, checked at once. */
export function attestationInputs(
  argv: Pick<BuildArgv, 'attest' | 'provenance' | 'sbom' | 'annotation'>,
  env: NodeJS.ProcessEnv,
): { attests: Attest[]; annotations: Record<string, string>; withSourceDateEpoch(buildArgs: Record<string, string>): Record<string, string> } {
  return {
    attests: parseAttests({ attest: argv.attest, provenance: argv.provenance, sbom: argv.sbom }),
    annotations: parseAnnotations(argv.annotation),
    withSourceDateEpoch: (buildArgs) => withSourceDateEpoch(buildArgs, env.SOURCE_DATE_EPOCH),
  };
}

// auto: the live view on a terminal, plain text anywhere else (a pipe, a CI log), as buildx does.
