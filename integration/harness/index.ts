// Real services for an integration test file: declared at the top of the file, started in
// beforeAll (in declaration order), their logs printed when a test fails, stopped by PID in
// afterAll even when tests failed.
//
//   const registry = useRegistry({ kind: 'oci', auth: true, tls: true });
//   const buildkitd = useBuildkitd({ trust: [registry] });
//   it('...', () => { registry().host; buildkitd().address; });
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startBuildkitd, type Buildkitd } from '../../hack/lib/buildkitd.ts';
import { writeClientFiles, type ClientFiles } from '../../hack/lib/client-files.ts';
import { describeLog, stopProcess, type ServiceProcess } from '../../hack/lib/process.ts';
import { randomPassword, startRegistry, type Registry, type RegistryKind } from '../../hack/lib/registry.ts';
import { seedBaseImage } from '../../hack/lib/seed.ts';

/** Call it inside a test (or a hook after beforeAll) to get the started service. */
export type Handle<T> = () => T;

export interface TestRegistry extends Registry {
  /** DOCKER_CONFIG folder, auth file and CA folder that reach this registry. */
  readonly files: ClientFiles;
  /** Reference of the seeded busybox base image, when `seed` was asked for. */
  readonly baseImage?: string;
}

export interface RegistrySpec {
  readonly kind: RegistryKind;
  readonly auth?: boolean;
  readonly tls?: boolean;
  /** Copy the busybox base image in (as library/busybox:latest). */
  readonly seed?: boolean;
}

export interface BuildkitdSpec {
  /** Registries buildkitd must reach (plain HTTP, or TLS through their CA). */
  readonly trust?: ReadonlyArray<Handle<TestRegistry>>;
}

// One list of started services per test file (vitest runs each file in its own module graph).
const started: ServiceProcess[] = [];
const scratchDirs: string[] = [];
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const service of started) process.stderr.write(`${describeLog(service)}\n`);
    });
  });
  afterAll(async () => {
    // Reverse order: buildkitd before the registries it talks to.
    for (const service of started.reverse()) await stopProcess(service);
    started.length = 0;
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
}

function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kb-${name}-`));
  scratchDirs.push(dir);
  return dir;
}

function lazy<T>(what: string, start: () => Promise<T>): Handle<T> {
  installHooks();
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  });
  return () => {
    if (value === undefined) throw new Error(`${what} is not started: use the handle inside a test`);
    return value;
  };
}

export function useRegistry(spec: RegistrySpec): Handle<TestRegistry> {
  return lazy(`${spec.kind} registry`, async () => {
    const dir = scratchDir(`${spec.kind}-registry`);
    const registry = await startRegistry({
      kind: spec.kind,
      dir,
      tls: spec.tls ?? false,
      ...(spec.auth ? { auth: { username: 'tester', password: randomPassword() } } : {}),
    });
    started.push(registry.process);
    const files = writeClientFiles(dir, [registry]);
    const baseImage = spec.seed ? await seedBaseImage(registry, files) : undefined;
    return { ...registry, files, ...(baseImage ? { baseImage } : {}) };
  });
}

export function useBuildkitd(spec: BuildkitdSpec = {}): Handle<Buildkitd> {
  return lazy('buildkitd', async () => {
    const registries = (spec.trust ?? []).map((handle) => handle());
    const buildkitd = await startBuildkitd({
      dir: scratchDir('buildkitd'),
      registries: registries.map((registry) =>
        registry.caFile ? { host: registry.host, caFile: registry.caFile } : { host: registry.host, plainHttp: true },
      ),
    });
    started.push(buildkitd.process);
    return buildkitd;
  });
}

/** Client files (DOCKER_CONFIG, CA folder) that reach several registries at once. */
export function clientFilesFor(registries: readonly TestRegistry[]): ClientFiles {
  return writeClientFiles(scratchDir('clients'), registries);
}
