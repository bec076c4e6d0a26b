// hack/local-stack up|down|status: the services a user or the demo needs, on 127.0.0.1:
// a registry with htpasswd auth (seeded with a busybox base image) and buildkitd as root with the
// OCI worker, trusting that registry. `up` prints export lines on stdout (eval them); progress and
// errors go to stderr. State, logs and the registry password live in $KUBECTL_BUILD_CACHE/local-stack.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBuildkitd, listWorkers } from './lib/buildkitd.ts';
import { writeClientFiles } from './lib/client-files.ts';
import { httpGet } from './lib/http.ts';
import { cacheDir } from './lib/paths.ts';
import { isAlive, isOurProcess, stopProcess } from './lib/process.ts';
import { randomPassword, startRegistry } from './lib/registry.ts';
import { seedBaseImage } from './lib/seed.ts';

const STACK_DIR = process.env.KUBECTL_BUILD_STACK_DIR ?? join(cacheDir(), 'local-stack');
const STATE_FILE = join(STACK_DIR, 'state.json');
const REGISTRY_USER = 'kubectl-build';

interface ServiceState {
  readonly pid: number;
  readonly command: string;
  readonly logFile: string;
}

interface StackState {
  readonly registry: ServiceState & { readonly host: string; readonly username: string; readonly passwordFile: string };
  readonly buildkitd: ServiceState & { readonly address: string };
  readonly dockerConfigDir: string;
  readonly baseImage: string;
}

function say(message: string): void {
  process.stderr.write(`[local-stack] ${message}\n`);
}

function readState(): StackState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as StackState;
}

function services(state: StackState): Array<[string, ServiceState]> {
  return [
    ['buildkitd', state.buildkitd],
    ['registry', state.registry],
  ];
}

function running(service: ServiceState): boolean {
  return isAlive(service.pid) && isOurProcess(service.pid, service.command);
}

function exportLines(state: StackState): string {
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  return [
    `export BUILDKIT_HOST=${quote(state.buildkitd.address)}`,
    `export REGISTRY=${quote(state.registry.host)}`,
    `export REGISTRY_USER=${quote(state.registry.username)}`,
    // The password itself is never printed: the line reads it from its 0600 file when evaluated.
    `export REGISTRY_PASSWORD="$(cat ${quote(state.registry.passwordFile)})"`,
    `export DOCKER_CONFIG=${quote(state.dockerConfigDir)}`,
    `export BASE_IMAGE=${quote(state.baseImage)}`,
  ].join('\n');
}

async function up(): Promise<void> {
  const existing = readState();
  if (existing && services(existing).every(([, service]) => running(service))) {
    say('already up');
    process.stdout.write(`${exportLines(existing)}\n`);
    return;
  }
  if (existing) await down();

  mkdirSync(STACK_DIR, { recursive: true, mode: 0o700 });
  const password = randomPassword();
  const passwordFile = join(STACK_DIR, 'registry-password');
  writeFileSync(passwordFile, password, { mode: 0o600 });

  say('starting the registry (distribution, htpasswd auth)');
  const registry = await startRegistry({
    kind: 'distribution',
    dir: join(STACK_DIR, 'registry'),
    auth: { username: REGISTRY_USER, password },
    detached: true,
  });
  const files = writeClientFiles(STACK_DIR, [registry]);
  say(`registry ready at ${registry.url}; starting buildkitd (OCI worker, runc)`);
  let buildkitd;
  try {
    buildkitd = await startBuildkitd({
      dir: join(STACK_DIR, 'buildkitd'),
      registries: [{ host: registry.host, plainHttp: true }],
      detached: true,
    });
  } catch (error) {
    await stopProcess(registry.process);
    throw error;
  }
  const state: StackState = {
    registry: {
      pid: registry.process.pid,
      command: 'docker-registry',
      logFile: registry.process.logFile,
      host: registry.host,
      username: REGISTRY_USER,
      passwordFile,
    },
    buildkitd: { pid: buildkitd.process.pid, command: 'buildkitd', logFile: buildkitd.process.logFile, address: buildkitd.address },
    dockerConfigDir: files.dockerConfigDir,
    baseImage: '',
  };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  say('seeding the base image');
  const baseImage = await seedBaseImage(registry, files);
  const final = { ...state, baseImage };
  writeFileSync(STATE_FILE, JSON.stringify(final, null, 2));
  say(`up: buildkitd at ${buildkitd.address}, registry at ${registry.host}, base image ${baseImage}; logs in ${STACK_DIR}`);
  process.stdout.write(`${exportLines(final)}\n`);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    say('not running');
    return;
  }
  for (const [name, service] of services(state)) {
    if (running(service)) {
      say(`stopping ${name} (pid ${service.pid})`);
      await stopProcess(service);
    }
  }
  rmSync(STATE_FILE, { force: true });
  say(`down; logs kept in ${STACK_DIR}`);
}

async function status(): Promise<boolean> {
  const state = readState();
  if (!state) {
    say('not running (hack/local-stack up starts it)');
    return false;
  }
  let healthy = true;
  for (const [name, service] of services(state)) {
    const alive = running(service);
    healthy &&= alive;
    say(`${name.padEnd(10)} pid ${String(service.pid).padEnd(8)} ${alive ? 'running' : 'NOT RUNNING'}  log ${service.logFile}`);
  }
  if (!healthy) return false;
  const workers = await listWorkers(state.buildkitd.address).catch(() => []);
  const v2 = await httpGet(`http://${state.registry.host}/v2/`).catch(() => undefined);
  say(`buildkitd  ${state.buildkitd.address}: ${workers.length} worker(s)`);
  say(`registry   http://${state.registry.host}/v2/: ${v2 ? `HTTP ${v2.status}` : 'no answer'}`);
  return workers.length > 0 && v2 !== undefined;
}

const command = process.argv[2];
try {
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'status') process.exitCode = (await status()) ? 0 : 1;
  else {
    process.stderr.write('usage: hack/local-stack up|down|status\n');
    process.exitCode = 2;
  }
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
