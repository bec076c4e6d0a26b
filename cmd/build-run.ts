// `kubectl build`'s work, loaded only when a build runs (it pulls in gRPC). Reads what only the
// command line may read (argv, environment, signals; stdin in build-inputs.ts), hands plain options
// to pkg/build, and signs what was pushed (prepared before the build in signing.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stopWhenFailed, unlessCancelled } from '../pkg/build/cancel.ts';
import { runMultiPlatformBuild } from '../pkg/build/multiplatform.ts';
import { runBuild, type BuildResult, type RunBuildOptions } from '../pkg/build/run.ts';
import type { AttrList, ProgressMode } from '../pkg/build/options.ts';
import { pushesImage } from '../pkg/build/plan.ts';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import type { ProgressFormat } from '../pkg/progress/index.ts';
import { dockerConfigCredentials } from '../pkg/registry/docker-config.ts';
import { RegistryClient } from '../pkg/registry/client.ts';
import { normalizedName, parseReference, type ImageReference } from '../pkg/registry/reference.ts';
import type { SignatureFormat } from '../pkg/sign/index.ts';
import { buildOnEveryNode, checkAllNodesFlags } from './all-nodes-run.ts';
import { parseBuildFlags } from './build-flags.ts';
import { checkIgnoreFile, locateInputs, secretSource } from './build-inputs.ts';
import { connectBuilder, directAddress, type BuilderConnection } from './builder-connection.ts';
import { parseDuration } from './options/sign.ts';
import { registryTimeoutMs, type RegistryTimeoutArgv } from './options/registry.ts';
import { listenForStop, stoppedBy } from './stop-signals.ts';
import type { Signing } from './signing.ts';

export interface BuildArgv extends RegistryTimeoutArgv {
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
  attest: string[];
  provenance?: string;
  sbom?: string;
  annotation: string[];
  progress: ProgressMode;
  iidfile?: string;
  'metadata-file'?: string;
  'builder-addr'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'connect-timeout': string;
  sign: boolean;
  'sign-recursive': boolean;
  'cosign-key'?: string;
  'sign-annotation': string[];
  'signature-format': SignatureFormat;
  'tlog-upload': boolean;
  'rekor-url': string;
  'sign-timeout': string;
  'identity-token'?: string;
  'fulcio-url': string;
  'oidc-issuer': string;
  'oidc-client-id': string;
  'login-timeout': string;
  debug: boolean;
  load?: boolean;
  'allow-http-registry': boolean;
  'registry-secret'?: string;
  node?: string;
  'all-nodes'?: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  builder: string;
}

export async function buildCommand(argv: BuildArgv): Promise<void> {
  const env = process.env;
  const inCluster = directAddress(argv, env) === undefined;
  // Every flag value is read and checked first: a bad one stops here, before any connection.
  const flags = parseBuildFlags(argv, env, process.stdout.isTTY === true);
  const outputs = [...flags.outputs];
  // --load: into the builder node's image store. The default in the cluster when nothing else
  // keeps the result (as buildkit-cli-for-kubectl did), so that a Pod can run it right away.
  // --all-nodes loads it on each node of the builder (cmd/all-nodes-run.ts).
  const allNodes = argv['all-nodes'] === true;
  if (allNodes) checkAllNodesFlags(argv, inCluster);
  const load = allNodes || (argv.load ?? (inCluster && !argv.push && outputs.length === 0 && argv.tag.length > 0));
  if (load) outputs.push(loadOutput(argv));
  if (argv['registry-secret'] && !inCluster) {
    throw new KubectlBuildError('USAGE', '--registry-secret reads a Secret in the cluster, but --builder-addr / BUILDKIT_HOST names a daemon outside it', {
      hint: 'leave out --registry-secret (the local docker config is used) or build through the cluster',
    });
  }
  if (argv.node && !inCluster) {
    throw new KubectlBuildError('USAGE', '--node picks a builder pod in the cluster, but --builder-addr / BUILDKIT_HOST names a daemon outside it', {
      hint: 'leave out --node or build through the cluster',
    });
  }
  // Ctrl-C and SIGTERM reach the build, the list assembly, signing and the login server of keyless signing.
  const stop = listenForStop(process.stderr);
  // The build also stops when signing can no longer happen (a browser login that failed meanwhile).
  const buildStop = new AbortController();
  const buildSignal = AbortSignal.any([stop.signal, buildStop.signal]);
  // Once the (first) Solve is sent, signing loads and asks what it needs while the daemon builds.
  let solveSent = (): void => undefined;
  const solveStarted = new Promise<void>((resolve) => (solveSent = resolve));
  let signing: Signing | undefined;
  let builder: BuilderConnection | undefined;
  let scratch: string | undefined;
  try {
    // Everything signing needs is checked, the key loaded or the login started, before anything is built.
    // Signing's code (the key's crypto, the login, Sigstore) loads only for --sign.
    signing = argv.sign ? await (await import('./signing.ts')).prepareSigning(argv, env, { pushes: pushesImage({ push: argv.push, outputs }), signal: stop.signal, stderr: process.stderr, solveSent: solveStarted }) : undefined;
    const registrySecret = argv['registry-secret'];
    const credentials = registrySecret
      ? await (await import('./cluster-builders.ts')).registrySecretSource(argv, registrySecret)
      : dockerConfigCredentials(env.DOCKER_CONFIG ?? join(homedir(), '.docker'));
    // Stdin can hold the Dockerfile (PATH "-" or -f -); it goes to a private folder for the session.
    scratch = await mkdtemp(join(tmpdir(), 'kubectl-build-'));
    const { contextDir, dockerfile } = await locateInputs(argv, scratch);
    await checkIgnoreFile(contextDir, dockerfile);
    const progress = progressFormat(argv.progress);
    const platforms = (argv.platform ?? '').split(',').map((platform) => platform.trim()).filter(Boolean);
    // --allow-http-registry: plain HTTP to the registries the image goes to (loopback always is).
    const insecureRegistries = argv['allow-http-registry'] ? argv.tag.map((tag) => parseReference(tag).registry) : [];
    const registryTimeout = registryTimeoutMs(argv);
    const client = new RegistryClient({ credentials, insecureRegistries, requestTimeoutMs: registryTimeout });
    const connect = {
      contextKey: contextDir,
      ...(platforms.length === 1 ? { platform: platforms[0] as string } : {}),
      signal: buildSignal,
      ...(progress === 'quiet' ? {} : { onProgress: (message: string) => process.stderr.write(`${message}\n`) }),
    };
    const common: Omit<RunBuildOptions, 'builder' | 'builderFailure'> = {
      build: {
        contextDir,
        dockerfile,
        tags: argv.tag,
        buildArgs: flags.buildArgs,
        labels: flags.labels,
        ...(argv.target ? { target: argv.target } : {}),
        ...(platforms.length === 1 ? { platform: platforms[0] } : {}),
        push: argv.push,
        outputs,
        noCache: argv['no-cache'],
        pull: argv.pull,
        secrets: flags.secrets,
        ssh: flags.ssh,
        cacheFrom: flags.cacheFrom,
        cacheTo: flags.cacheTo,
        ...(argv.network ? { network: argv.network } : {}),
        addHosts: flags.addHosts,
        allow: argv.allow,
        attests: flags.attests,
        annotations: flags.annotations,
      },
      tls: { ca: argv['tls-ca'], cert: argv['tls-cert'], key: argv['tls-key'] },
      connectTimeoutMs: parseDuration('connect-timeout', argv['connect-timeout']),
      pushWatch: { timeoutMs: registryTimeout, probe: (registry, timeoutMs) => client.probe(registry, timeoutMs) },
      credentials,
      secrets: secretSource(flags.secrets, env),
      progress,
      progressOutput: process.stderr,
      stdout: process.stdout,
      ...(argv.iidfile ? { iidFile: argv.iidfile } : {}),
      ...(argv['metadata-file'] ? { metadataFile: argv['metadata-file'] } : {}),
      signal: buildSignal,
      ...(signing?.ready ? { readyToSolve: signing.ready } : {}),
      onSolveStart: () => {
        solveSent();
        if (argv.debug) process.stderr.write(`debug: Solve request sent ${Math.round(performance.now())} ms after start\n`);
      },
    };
    if (allNodes) {
      await buildOnEveryNode(argv, common, connect);
      return;
    }
    builder = await connectBuilder(argv, env, connect);
    if (builder.where && progress !== 'quiet' && platforms.length <= 1) process.stderr.write(`building with the builder "${argv.builder}": ${builder.where}\n`);
    if (load && builder.worker === 'runc') {
      throw new KubectlBuildError('USAGE', `--load needs a builder that uses the node's containerd, and the builder "${argv.builder}" uses runc`, {
        hint: `recreate it with kubectl buildkit rm ${argv.builder} && kubectl buildkit create ${argv.builder} --worker containerd, or use --push`,
      });
    }
    const options: RunBuildOptions = { ...common, builder: builder.address, ...(builder.failure ? { builderFailure: builder.failure } : {}) };
    // Several platforms: one solve each, the list assembled here (pkg/build/multiplatform.ts).
    const forPlatform = builder.forPlatform?.bind(builder);
    const builderFor = forPlatform
      ? async (platform: string) => {
          const chosen = await forPlatform(platform);
          if (progress !== 'quiet') process.stderr.write(`${platform}: building with the builder "${argv.builder}": ${chosen.where}\n`);
          return { builder: chosen.address, builderFailure: chosen.failure };
        }
      : undefined;
    const building = async () => {
      const multi = platforms.length > 1 ? await runMultiPlatformBuild({ ...options, platforms, client, ...(builderFor ? { builderFor } : {}) }) : undefined;
      const result = multi ?? (await runBuild(options).catch(async (error: unknown) => {
        throw (await builder?.explain(error)) ?? error;
      }));
      return { multi, result };
    };
    const { multi, result } = await stopWhenFailed(building(), signing?.failed, buildStop);
    if (argv.debug) {
      for (const [dir, { statsSent, filesSent, bytesSent }] of Object.entries(result.transfer)) {
        process.stderr.write(`debug: ${dir} upload: ${statsSent} entries listed, ${filesSent} files sent, ${bytesSent} bytes sent\n`);
      }
    }
    // What was built and pushed is said first: if signing fails, the push still stands.
    if (progress !== 'quiet') {
      process.stderr.write(`${summary(result)}\n`);
      for (const child of multi?.children ?? []) process.stderr.write(`  ${child.platform}: ${child.digest}\n`);
      if (load) process.stderr.write(`loaded into the container runtime of the builder's node${builder.where ? ` (${builder.where})` : ''}: run it there with imagePullPolicy: Never\n`);
    }
    if (signing) {
      // The names the exporter pushed (from -t or from -o type=registry,name=...): sign those.
      const pushedNames = (result.imageName ?? '').split(',').filter(Boolean);
      if (!result.digest || !result.pushed || pushedNames.length === 0) {
        throw new KubectlBuildError('SIGN_FAILED', 'nothing was pushed, so there is nothing to sign', { hint: 'add --push and -t REGISTRY/IMAGE:TAG' });
      }
      const digest = result.digest;
      const report = (step: string, ms: number) => {
        if (progress !== 'quiet') process.stderr.write(`sign: ${step} (${(ms / 1000).toFixed(1)}s)\n`);
      };
      // The login (keyless) has its own cancellation; the registry and log requests do not.
      const credential = await signing.credential(report);
      const images = pushedNames.map(parseReference);
      await unlessCancelled(
        (async () => {
          const [{ signingTargets }, { signPushed }] = await Promise.all([import('./signing.ts'), import('../pkg/sign/index.ts')]);
          const targets = await signingTargets(client, images[0] as ImageReference, digest, argv['sign-recursive']);
          await signPushed({
            client,
            credential,
            ...(signing.transparencyLog ? { transparencyLog: signing.transparencyLog } : {}),
            images,
            // The list (or the single image), and with --sign-recursive each platform image too.
            digests: targets.digests,
            attestations: targets.attestations,
            annotations: signing.annotations,
            format: argv['signature-format'],
            onStep: report,
          });
        })(),
        stop.signal,
        `cancelled while signing: ${pushedNames[0]} was pushed as ${digest}, unsigned unless a signature's write was already under way`,
        'run the build again with --sign to sign it (the build comes from the cache)',
      );
    }
    if (progress === 'quiet') {
      // Only the image ID, for scripts; never mixed into an output that goes to stdout.
      const toStdout = result.exports.some((exported) => exported.destination === 'stdout');
      const id = result.exporterResponse['containerimage.config.digest'] ?? result.digest;
      if (id && !toStdout) process.stdout.write(`${id}\n`);
    }
  } catch (error) {
    throw stoppedBy(stop.received(), error);
  } finally {
    signing?.close();
    await builder?.close();
    stop.remove();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** --load's output: the image, named by its tags, kept (and unpacked) in the daemon's image store. */
function loadOutput(argv: BuildArgv): AttrList {
  if (argv.tag.length === 0) throw new KubectlBuildError('USAGE', '--load needs a name for the image', { hint: 'add -t NAME:TAG' });
  if ((argv.platform ?? '').includes(',')) {
    throw new KubectlBuildError('USAGE', '--load can only load one platform into the node', { hint: 'use --push for several platforms, or a single --platform' });
  }
  return { type: 'image', attrs: { name: argv.tag.map(normalizedName).join(','), unpack: 'true' } };
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
