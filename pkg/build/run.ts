// One build, end to end: check what can be checked locally, connect to the daemon, attach a
// session (context, Dockerfile, credentials, secrets), run Solve with Status alongside, and turn
// the outcome into a result or one clear error. The digest reported is the exporter's: what was
// pushed, never a tag resolved again afterwards.
import { createHash, randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { stat, writeFile } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { KubectlBuildError } from '../errors/index.ts';
import type { BuilderAddress } from '../buildkit/address.ts';
import { ControlClient, type TlsFiles } from '../buildkit/control.ts';
import { authService, type CredentialSource } from '../buildkit/session/auth.ts';
import { fileSendService, type OutputTarget } from '../buildkit/session/filesend.ts';
import { fileSyncService, type TransferCounters } from '../buildkit/session/filesync.ts';
import { secretsService, type SecretSource } from '../buildkit/session/secrets.ts';
import { Session } from '../buildkit/session/session.ts';
import type { StatusResponse } from '../buildkit/types.ts';
import { createProgressWriter, type ProgressFormat, type ProgressOutput, type ProgressWriter } from '../progress/index.ts';
import { parseReference } from '../registry/reference.ts';
import { buildErrorFromSolve } from './errors.ts';
import { planBuild, type BuildOptions, type SolvePlan } from './plan.ts';
import { PushWatch, type PushWatchOptions } from './push-watch.ts';

export interface RunBuildOptions {
  readonly build: BuildOptions;
  readonly builder: BuilderAddress;
  /**
   * Rejects when the way to the daemon breaks for a reason gRPC cannot see (a pods/exec tunnel
   * refused by RBAC, its pod deleted): the build stops at once with that reason.
   */
  readonly builderFailure?: Promise<never>;
  readonly tls?: TlsFiles;
  readonly credentials: CredentialSource;
  readonly secrets: SecretSource;
  readonly progress: ProgressFormat;
  /** Where progress goes (stderr, as docker does). */
  readonly progressOutput: ProgressOutput;
  /** A writer made by the caller (one task of a multi-platform view), instead of one made here. */
  readonly progressWriter?: ProgressWriter;
  /** Where `dest=-` outputs are written. */
  readonly stdout?: NodeJS.WritableStream;
  readonly iidFile?: string;
  readonly metadataFile?: string;
  readonly signal?: AbortSignal;
  readonly connectTimeoutMs?: number;
  /** Called as the Solve request goes out (--debug reports when, for the connection benchmark). */
  readonly onSolveStart?: () => void;
  /**
   * What must hold before anything is built, awaited once the daemon is reached, just before the
   * Solve request: the signing key, decrypted meanwhile. Its rejection fails the build unbuilt.
   */
  readonly readyToSolve?: Promise<unknown>;
  /**
   * --registry-timeout and a way to ask a registry from this machine: a push by the builder that
   * goes silent that long, its registry silent too, is cancelled (push-watch.ts).
   */
  readonly pushWatch?: Pick<PushWatchOptions, 'timeoutMs' | 'probe'>;
}

export interface BuildResult {
  readonly exporterResponse: Readonly<Record<string, string>>;
  /** The pushed manifest's digest (containerimage.digest), when an image was exported. */
  readonly digest?: string;
  readonly imageName?: string;
  /** Whether the image was pushed to its registry. */
  readonly pushed: boolean;
  /** What was exported where: image names for images, a path or "stdout" for client outputs. */
  readonly exports: ReadonlyArray<{ readonly type: string; readonly destination: string }>;
  readonly transfer: TransferCounters;
  readonly durationMs: number;
}

// How long Status may keep streaming after Solve returned (buildctl waits 3 s too).
const STATUS_DRAIN_MS = 3_000;

export async function runBuild(options: RunBuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const { build } = options;
  await checkLocalInputs(build);
  const plan = planBuild(build);

  // ssh2 (600 KB of source) is loaded only for a build that forwards SSH.
  const ssh = build.ssh && build.ssh.length > 0 ? await import('../buildkit/session/ssh.ts') : undefined;
  const control = new ControlClient(options.builder, options.tls, options.builderFailure);
  const transfer: TransferCounters = {};
  const session = new Session({
    name: 'kubectl-build',
    // Stable per context directory: the daemon keeps that directory's files between builds.
    sharedKey: createHash('sha256').update(plan.localDirs.context).digest('hex').slice(0, 32),
    services: [
      fileSyncService(plan.localDirs, transfer),
      authService(options.credentials),
      secretsService(options.secrets),
      ...(ssh && build.ssh ? [ssh.sshService(new Map(build.ssh.map((spec) => [spec.id, ssh.sshAgentSource(spec.id, spec.paths)])))] : []),
      // Only announced when an output lives on the client: the daemon checks for it.
      ...(plan.outputs.some(Boolean) ? [fileSendService(plan.outputs.map((output) => outputTarget(output, options.stdout)))] : []),
    ],
  });
  const progress = options.progressWriter ?? createProgressWriter(options.progress, options.progressOutput);
  let status: grpc.ClientReadableStream<StatusResponse> | undefined;
  // A stuck push cancels the solve as Ctrl-C does, and is reported as itself.
  const stuck = new AbortController();
  let stuckPush: KubectlBuildError | undefined;
  const registries = plan.pushes ? pushedRegistries(plan) : [];
  const cacheRegistries = cacheExportRegistries(plan);
  const watch = options.pushWatch && registries.length + cacheRegistries.length > 0
    ? new PushWatch({ ...options.pushWatch, registries, cacheRegistries, onStuck: (error) => { stuckPush = error; stuck.abort(); } })
    : undefined;
  try {
    await control.waitUntilReady(options.connectTimeoutMs);
    if (options.signal?.aborted) throw cancelled();
    await session.attach(control);
    await options.readyToSolve;
    const ref = randomUUID();
    status = control.status(ref);
    const statusDone = new Promise<void>((resolve) => {
      status?.on('data', (message: StatusResponse) => {
        progress.write(message);
        watch?.observe(message);
      });
      status?.on('end', resolve);
      status?.on('error', () => resolve());
    });

    let exporterResponse: Record<string, string>;
    try {
      const first = plan.exporters[0];
      options.onSolveStart?.();
      exporterResponse = await control.solve(
        {
          Ref: ref,
          Session: session.id,
          Frontend: plan.frontend,
          FrontendAttrs: plan.frontendAttrs,
          // The list for current daemons; its first entry again in the fields older ones read.
          Exporters: plan.exporters,
          ...(first ? { ExporterDeprecated: first.Type, ExporterAttrsDeprecated: first.Attrs } : {}),
          Cache: { Imports: plan.cacheImports, Exports: plan.cacheExports },
          Entitlements: plan.entitlements,
        },
        options.signal ? AbortSignal.any([options.signal, stuck.signal]) : stuck.signal,
      );
    } catch (error) {
      if (stuckPush) throw stuckPush;
      if (error instanceof KubectlBuildError) throw error;
      await Promise.race([statusDone, delay(STATUS_DRAIN_MS)]);
      if (options.signal?.aborted) throw cancelled();
      throw buildErrorFromSolve(error as grpc.ServiceError, { dockerfile: build.dockerfile, failure: progress.failure(), daemon: control.address.display });
    }
    await Promise.race([statusDone, delay(STATUS_DRAIN_MS)]);

    const result: BuildResult = {
      exporterResponse,
      ...(exporterResponse['containerimage.digest'] ? { digest: exporterResponse['containerimage.digest'] } : {}),
      ...(exporterResponse['image.name'] ? { imageName: exporterResponse['image.name'] } : {}),
      pushed: plan.pushes,
      exports: plan.exporters.map((exporter, index) => {
        const output = plan.outputs[index];
        const destination = output === undefined ? (exporter.Attrs.name ?? '') : output.kind === 'stdout' ? 'stdout' : output.path;
        return { type: exporter.Type, destination };
      }),
      transfer,
      durationMs: Date.now() - started,
    };
    await writeResultFiles(options, result);
    return result;
  } finally {
    watch?.stop();
    status?.cancel();
    session.close();
    control.close();
    // Here only, so on every path (also when the daemon was never reached) and once: the failed
    // step's log tail and the warnings print before the caller reports the outcome.
    await progress.finish();
  }
}

/** The registries the image exporters push to, from their names (REGISTRY/REPOSITORY[:TAG], comma-separated). */
function pushedRegistries(plan: SolvePlan): string[] {
  const names = plan.exporters.filter((exporter) => exporter.Type === 'image' && ['', 'true'].includes(exporter.Attrs.push ?? 'false')).flatMap((exporter) => (exporter.Attrs.name ?? '').split(','));
  return [...new Set(names.filter(Boolean).map((name) => parseReference(name.trim()).registry))];
}

/** The registries caches are exported to (--cache-to type=registry,ref=REGISTRY/REPOSITORY[:TAG]). */
function cacheExportRegistries(plan: SolvePlan): string[] {
  const refs = plan.cacheExports.filter((entry) => entry.Type === 'registry').map((entry) => entry.Attrs.ref ?? '');
  // A ref that does not parse is left to the daemon, which says what is wrong with it.
  const registryOf = (ref: string) => {
    try {
      return [parseReference(ref.trim()).registry];
    } catch {
      return [];
    }
  };
  return [...new Set(refs.filter(Boolean).flatMap(registryOf))];
}

function outputTarget(output: SolvePlan['outputs'][number], stdout: NodeJS.WritableStream | undefined): OutputTarget | undefined {
  if (output?.kind !== 'stdout') return output;
  if (!stdout) throw new KubectlBuildError('USAGE', 'this build cannot write an output to stdout', { hint: 'give the output a dest=FILE' });
  return { kind: 'stream', stream: stdout as Writable };
}

async function checkLocalInputs(build: BuildOptions): Promise<void> {
  const context = await stat(build.contextDir).catch(() => undefined);
  if (!context?.isDirectory()) {
    throw new KubectlBuildError('NOT_FOUND', `the build context ${build.contextDir} is not a directory`, {
      hint: 'pass the directory to build as the last argument, e.g. "kubectl build ."',
    });
  }
  const dockerfile = await stat(build.dockerfile).catch(() => undefined);
  if (!dockerfile?.isFile()) {
    throw new KubectlBuildError('NOT_FOUND', `no Dockerfile at ${build.dockerfile}`, {
      hint: 'add a Dockerfile to the context, or name one with -f',
    });
  }
}

// --iidfile and --metadata-file as buildx writes them: the image ID (config digest when the daemon
// reports one, else the manifest digest), and the exporter response with its descriptor decoded.
export async function writeResultFiles(options: Pick<RunBuildOptions, 'iidFile' | 'metadataFile'>, result: BuildResult): Promise<void> {
  const response = result.exporterResponse;
  if (options.iidFile) {
    const id = response['containerimage.config.digest'] ?? result.digest;
    if (id) await writeFile(options.iidFile, id);
  }
  if (options.metadataFile) {
    const metadata: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(response)) {
      metadata[key] = key === 'containerimage.descriptor' ? JSON.parse(Buffer.from(value, 'base64').toString('utf8')) : value;
    }
    await writeFile(options.metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
  }
}

function cancelled(): KubectlBuildError {
  return new KubectlBuildError('CANCELLED', 'build cancelled', { hint: 'nothing was pushed unless the push had already finished' });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
