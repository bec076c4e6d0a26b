// Every build flag value read (pkg/build/flags/, as docker buildx reads them) and checked against
// this machine as buildx's client checks it (files, sockets, destinations, the CI cache variables),
// before anything connects or builds. Reads the environment and the file system: only cmd/ may.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAnnotations, parseAttests, withSourceDateEpoch, type Attest } from '../pkg/build/attest-flags.ts';
import { parseAddHosts } from '../pkg/build/flags/add-host.ts';
import type { AttrList } from '../pkg/build/flags/attr-list.ts';
import { awsCredentialsFromIni, parseCacheFlag, withCiCredentials, type CacheEnvironment } from '../pkg/build/flags/cache.ts';
import { flagError } from '../pkg/build/flags/errors.ts';
import { parseBuildArgs, parseLabels } from '../pkg/build/flags/key-values.ts';
import { checkOutputs, outputTarget, parseOutputFlag } from '../pkg/build/flags/output.ts';
import { parseSecretFlag, secretSourceOf } from '../pkg/build/flags/secret.ts';
import { parseSshFlag, sshSources } from '../pkg/build/flags/ssh.ts';
import type { SecretSpec, SshSpec } from '../pkg/build/plan.ts';
import type { BuildArgv } from './build-run.ts';

/** Every build flag read and checked, before anything connects or builds. */
export interface BuildFlags {
  readonly outputs: AttrList[];
  readonly buildArgs: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly secrets: SecretSpec[];
  readonly ssh: SshSpec[];
  readonly cacheFrom: AttrList[];
  readonly cacheTo: AttrList[];
  readonly addHosts: string[];
  /** --attest, --provenance, --sbom. */
  readonly attests: Attest[];
  readonly annotations: Record<string, string>;
}

export function parseBuildFlags(argv: BuildArgv, env: NodeJS.ProcessEnv, stdoutIsTerminal: boolean): BuildFlags {
  const outputs = present(argv.output.map(parseOutputFlag));
  checkOutputs(outputs, stdoutIsTerminal);
  for (const output of outputs) checkOutputDestination(output, argv.iidfile !== undefined);
  parseAddHosts(argv['add-host']);
  const cacheEnvironment = cacheEnvironmentOf(env);
  return {
    outputs,
    // SOURCE_DATE_EPOCH from the environment is a build argument, as buildx passes it (unless --build-arg gives one).
    buildArgs: withSourceDateEpoch(parseBuildArgs(argv['build-arg'], (key) => env[key]), env.SOURCE_DATE_EPOCH),
    labels: parseLabels(argv.label),
    secrets: argv.secret.flatMap((value): SecretSpec[] => {
      const flag = parseSecretFlag(value);
      if (!flag) return [];
      const { id, source } = secretSourceOf(flag, value, (name) => env[name] !== undefined);
      if (source.kind === 'env') return [{ id, source }];
      const path = resolve(source.path);
      checkSecretFile('secret', value, path);
      return [{ id, source: { kind: 'file' as const, path } }];
    }),
    ssh: sshSources(present(argv.ssh.map(parseSshFlag)), env.SSH_AUTH_SOCK).map(({ id, paths }) => ({
      id,
      paths: paths.map((path) => {
        // BuildKit's client opens each socket or key before the build; a missing one stops it there.
        if (!existsSync(path)) throw flagError('ssh', `${id}=${path}`, `there is no agent socket or key file at ${path}`, 'name an existing socket or private key file');
        return resolve(path);
      }),
    })),
    cacheFrom: withCiCredentials(argv['cache-from'].flatMap((value) => parseCacheFlag('cache-from', value)), cacheEnvironment),
    cacheTo: withCiCredentials(argv['cache-to'].flatMap((value) => parseCacheFlag('cache-to', value)), cacheEnvironment),
    addHosts: argv['add-host'],
    attests: parseAttests({ attest: argv.attest, provenance: argv.provenance, sbom: argv.sbom }),
    annotations: parseAnnotations(argv.annotation),
  };
}

// buildx's checks of an output against the machine: a folder output cannot land on a file, a
// tarball not on a folder, and --iidfile has no image ID to write for a local or tar output.
function checkOutputDestination(output: AttrList, iidFile: boolean): void {
  const shown = [`type=${output.type}`, ...Object.entries(output.attrs).map(([key, value]) => `${key}=${value}`)].join(',');
  if (iidFile && (output.type === 'local' || output.type === 'tar')) {
    throw flagError('output', shown, 'a local or tar output has no image ID for --iidfile to write', 'drop --iidfile, or export an image');
  }
  const target = outputTarget(output);
  if (target === undefined || target.kind === 'stdout') return;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(target.path).isDirectory();
  } catch {
    return; // created by the build
  }
  if (target.kind === 'directory' && !isDirectory) throw flagError('output', shown, `the destination ${target.path} is a file, and this output writes a folder`, 'name a folder as dest');
  if (target.kind === 'file' && isDirectory) throw flagError('output', shown, `the destination ${target.path} is a folder, and this output writes a file`, 'name a file as dest');
}

// The secret store BuildKit's client builds before the build: the file must exist and be at most
// 500 KiB (a secret travels in one message).
const MAX_SECRET_BYTES = 500 * 1024;
function checkSecretFile(flag: string, value: string, path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw flagError(flag, value, `the file ${path} cannot be read`, 'point src= at an existing file, or use env=VAR');
  }
  if (size > MAX_SECRET_BYTES) throw flagError(flag, value, `the file ${path} is larger than 500 KiB`, 'a secret must fit in 500 KiB');
}

function present<T>(values: ReadonlyArray<T | undefined>): T[] {
  return values.filter((value): value is T => value !== undefined);
}

// The environment the CI cache backends read, with the AWS shared credentials file (its
// [$AWS_PROFILE] section) when the variables do not hold keys.
function cacheEnvironmentOf(env: NodeJS.ProcessEnv): CacheEnvironment {
  const file = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  const shared = text === undefined ? undefined : awsCredentialsFromIni(text, env.AWS_PROFILE || 'default');
  return { env, ...(shared ? { awsSharedCredentials: shared } : {}) };
}
