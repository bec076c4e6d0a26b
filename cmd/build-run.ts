// `kubectl build`'s work, loaded only when a build runs (it pulls in gRPC). Reads what only the
// command line may read (argv, environment, signals; stdin in build-inputs.ts), hands plain options
// to pkg/build, and signs what was pushed (prepared before the build in signing.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMultiPlatformBuild } from '../pkg/build/multiplatform.ts';
import { runBuild, type BuildResult, type RunBuildOptions } from '../pkg/build/run.ts';
import { parseAttrList, parseKeyValues, type ProgressMode } from '../pkg/build/options.ts';
import { pushesImage } from '../pkg/build/plan.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { ProgressFormat } from '../pkg/progress/index.ts';
import { dockerConfigCredentials } from '../pkg/registry/docker-config.ts';
import { RegistryClient } from '../pkg/registry/client.ts';
import { parseReference } from '../pkg/registry/reference.ts';
import { signPushed, type SignatureFormat } from '../pkg/sign/index.ts';
import { locateInputs, parseSecret, parseSsh, secretSource } from './build-inputs.ts';
import { prepareSigning } from './signing.ts';

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

  const outputs = argv.output.map((value) => parseAttrList('output', value, 'local'));
  // Everything signing needs is checked, and the key loaded, before anything is built.
  const signing = argv.sign ? await prepareSigning(argv, env, pushesImage({ push: argv.push, outputs })) : undefined;
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
        outputs,
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

function progressFormat(mode: ProgressMode): ProgressFormat {
  if (mode === 'auto') return process.stderr.isTTY && process.env.TERM !== 'dumb' ? 'tty' : 'plain';
  return mode;
}
