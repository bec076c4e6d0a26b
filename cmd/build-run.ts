// `kubectl build`'s work, loaded only when a build runs (it pulls in gRPC). Reads what only the
// command line may read (argv, environment, stdin, signals) and hands plain options to pkg/build.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import { runMultiPlatformBuild } from '../pkg/build/multiplatform.ts';
import { runBuild, type BuildResult, type RunBuildOptions } from '../pkg/build/run.ts';
import { parseAttrList, parseKeyValues, type ProgressMode } from '../pkg/build/options.ts';
import type { SecretSpec, SshSpec } from '../pkg/build/plan.ts';
import type { SecretSource } from '../pkg/buildkit/session/secrets.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { ProgressFormat } from '../pkg/progress/index.ts';
import { dockerConfigCredentials } from '../pkg/registry/docker-config.ts';
import { RegistryClient } from '../pkg/registry/client.ts';
import { parseReference } from '../pkg/registry/reference.ts';
import { loadSigner, signPushed, type SignatureFormat, type Signer } from '../pkg/sign/index.ts';
import { cosignPassword } from './password.ts';

export interface BuildArgv {
  path: string;
  file?: string;
  tag: string[];
  'build-arg': string[];
  label: string[];
  target?: string;
  platform?: string;
  push: boolean;
  output: string[];
  'no-cache': boolean;
  pull: boolean;
  secret: string[];
  ssh: string[];
  'cache-from': string[];
  'cache-to': string[];
  network?: string;
  'add-host': string[];
  allow: string[];
  progress: ProgressMode;
  iidfile?: string;
  'metadata-file'?: string;
  'builder-addr'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  sign: boolean;
  'sign-recursive': boolean;
  'cosign-key'?: string;
  'sign-annotation': string[];
  'signature-format': SignatureFormat;
  'tlog-upload': boolean;
  debug: boolean;
}

export async function buildCommand(argv: BuildArgv): Promise<void> {
  const env = process.env;
  const builderAddress = argv['builder-addr'] ?? env.BUILDKIT_HOST;
  if (!builderAddress) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', 'building through the cluster is not implemented in this version of kubectl-build', {
      hint: 'point it at a BuildKit daemon with --builder-addr unix:///path/buildkitd.sock or BUILDKIT_HOST',
    });
  }

  // Everything signing needs is checked, and the key loaded, before anything is built.
  const signing = argv.sign ? await prepareSigning(argv, env) : undefined;
  const credentials = dockerConfigCredentials(env.DOCKER_CONFIG ?? join(homedir(), '.docker'));

  // Stdin can hold the Dockerfile (PATH "-" or -f -); it goes to a private folder for the session.
  const scratch = await mkdtemp(join(tmpdir(), 'kubectl-build-'));
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling the build (Ctrl-C again to quit at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const { contextDir, dockerfile } = await locateInputs(argv, scratch);
    const progress = progressFormat(argv.progress);
    const secrets = argv.secret.map(parseSecret);
    const platforms = (argv.platform ?? '').split(',').map((platform) => platform.trim()).filter(Boolean);
    const client = new RegistryClient({ credentials });
    const options: RunBuildOptions = {
      build: {
        contextDir,
        dockerfile,
        tags: argv.tag,
        buildArgs: parseKeyValues('build-arg', argv['build-arg'], (key) => env[key]),
        labels: parseKeyValues('label', argv.label),
        ...(argv.target ? { target: argv.target } : {}),
        ...(platforms.length === 1 ? { platform: platforms[0] } : {}),
        push: argv.push,
        outputs: argv.output.map((value) => parseAttrList('output', value, 'local')),
        noCache: argv['no-cache'],
        pull: argv.pull,
        secrets,
        ssh: argv.ssh.map((value) => parseSsh(value, env.SSH_AUTH_SOCK)),
        cacheFrom: argv['cache-from'].map((value) => parseAttrList('cache-from', value, 'registry')),
        cacheTo: argv['cache-to'].map((value) => parseAttrList('cache-to', value, 'registry')),
        ...(argv.network ? { network: argv.network } : {}),
        addHosts: argv['add-host'],
        allow: argv.allow,
      },
      builderAddress,
      tls: { ca: argv['tls-ca'], cert: argv['tls-cert'], key: argv['tls-key'] },
      credentials,
      secrets: secretSource(secrets, env),
      progress,
      progressOutput: process.stderr,
      stdout: process.stdout,
      ...(argv.iidfile ? { iidFile: argv.iidfile } : {}),
      ...(argv['metadata-file'] ? { metadataFile: argv['metadata-file'] } : {}),
      signal: abort.signal,
    };
    // Several platforms: one solve each, the list assembled here (pkg/build/multiplatform.ts).
    const multi = platforms.length > 1 ? await runMultiPlatformBuild({ ...options, platforms, client }) : undefined;
    const result = multi ?? (await runBuild(options));
    if (argv.debug) {
      for (const [dir, { statsSent, filesSent, bytesSent }] of Object.entries(result.transfer)) {
        process.stderr.write(`debug: ${dir} upload: ${statsSent} entries listed, ${filesSent} files sent, ${bytesSent} bytes sent\n`);
      }
    }
    // What was built and pushed is said first: if signing fails, the push still stands.
    if (progress !== 'quiet') {
      process.stderr.write(`${summary(result)}\n`);
      for (const child of multi?.children ?? []) process.stderr.write(`  ${child.platform}: ${child.digest}\n`);
    }
    if (signing) {
      // The names the exporter pushed (from -t or from -o type=registry,name=...): sign those.
      const pushedNames = (result.imageName ?? '').split(',').filter(Boolean);
      if (!result.digest || !result.pushed || pushedNames.length === 0) {
        throw new KubectlBuildError('SIGN_FAILED', 'nothing was pushed, so there is nothing to sign', { hint: 'add --push and -t REGISTRY/IMAGE:TAG' });
      }
      const report = (step: string, ms: number) => {
        if (progress !== 'quiet') process.stderr.write(`sign: ${step} (${(ms / 1000).toFixed(1)}s)\n`);
      };
      report(`loaded the key (${signing.signer.description})`, signing.loadMs);
      // The list (or the single image), and with --sign-recursive each platform image too.
      const digests = [result.digest, ...(argv['sign-recursive'] ? (multi?.children ?? []).map((child) => child.digest) : [])];
      for (const digest of digests) {
        await signPushed({
          client,
          signer: signing.signer,
          images: pushedNames.map(parseReference),
          digest,
          annotations: signing.annotations,
          format: argv['signature-format'],
          onStep: report,
        });
      }
    }
    if (progress === 'quiet') {
      // Only the image ID, for scripts; never mixed into an output that goes to stdout.
      const toStdout = result.exports.some((exported) => exported.destination === 'stdout');
      const id = result.exporterResponse['containerimage.config.digest'] ?? result.digest;
      if (id && !toStdout) process.stdout.write(`${id}\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
    await rm(scratch, { recursive: true, force: true });
  }
}

interface Signing {
  readonly signer: Signer;
  readonly annotations: Record<string, string>;
  readonly loadMs: number;
}

async function prepareSigning(argv: BuildArgv, env: NodeJS.ProcessEnv): Promise<Signing> {
  const pushes = argv.push || argv.output.some((value) => /(^|,)type=registry(,|$)|(^|,)push=true(,|$)/.test(value));
  if (!pushes) {
    throw new KubectlBuildError('USAGE', '--sign needs --push: only a pushed image has a digest to sign', { hint: 'add --push and -t REGISTRY/IMAGE:TAG' });
  }
  if (argv['tlog-upload']) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', 'uploading signatures to a transparency log is not implemented in this version of kubectl-build', {
      hint: 'leave out --tlog-upload (cosign verify then needs --insecure-ignore-tlog=true)',
    });
  }
  if (argv['signature-format'] === 'bundle' && argv['sign-annotation'].length > 0) {
    throw new KubectlBuildError('USAGE', '-a annotations go into legacy signatures only', { hint: 'use --signature-format legacy or both' });
  }
  const uri = argv['cosign-key'] ?? env.COSIGN_KEY;
  if (!uri) {
    throw new KubectlBuildError('NOT_IMPLEMENTED', 'keyless signing is not implemented in this version of kubectl-build', {
      hint: 'sign with a key: --cosign-key cosign.key (or COSIGN_KEY)',
    });
  }
  const started = Date.now();
  const signer = await loadSigner(uri, { password: () => cosignPassword(env), env: (name) => env[name] });
  return { signer, annotations: parseKeyValues('sign-annotation', argv['sign-annotation']), loadMs: Date.now() - started };
}

function summary(result: BuildResult): string {
  const seconds = `${(result.durationMs / 1000).toFixed(1)}s`;
  if (result.exports.length === 0) return `built in ${seconds}; nothing was exported (add --push or -o to keep the result)`;
  const parts = result.exports.map(({ type, destination }) => {
    if (type !== 'image') return `wrote the ${type} output to ${destination}`;
    const names = destination.split(',').join(', ');
    return `${result.pushed ? 'pushed' : 'built'} ${names}${result.digest ? ` as ${result.digest}` : ''}`;
  });
  return `${parts.join('; ')} in ${seconds}`;
}

async function locateInputs(argv: BuildArgv, scratch: string): Promise<{ contextDir: string; dockerfile: string }> {
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
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
}

// --secret id=X,src=FILE | id=X,env=VAR | id=X (the variable X), as buildx reads it.
function parseSecret(value: string): SecretSpec {
  const { attrs } = parseAttrList('secret', value, 'file');
  const id = attrs.id;
  if (!id) throw new KubectlBuildError('USAGE', `--secret "${value}" has no id`, { hint: 'use --secret id=NAME,src=FILE or id=NAME,env=VAR' });
  const path = attrs.src ?? attrs.source;
  if (path !== undefined) return { id, source: { kind: 'file', path: resolve(path) } };
  return { id, source: { kind: 'env', name: attrs.env ?? id } };
}

// --ssh default | ID=PATH[,PATH...]: without paths, the agent at $SSH_AUTH_SOCK (as buildx does).
function parseSsh(value: string, agentSocket: string | undefined): SshSpec {
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

function secretSource(specs: readonly SecretSpec[], env: NodeJS.ProcessEnv): SecretSource {
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
function progressFormat(mode: ProgressMode): ProgressFormat {
  if (mode === 'auto') return process.stderr.isTTY && process.env.TERM !== 'dumb' ? 'tty' : 'plain';
  return mode;
}
