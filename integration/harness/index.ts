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
import { afterAll, beforeAll, beforeEach, onTestFinished } from 'vitest';
import { startBuildkitd, type Buildkitd } from '../../hack/lib/buildkitd.ts';
import { writeClientFiles, type ClientFiles } from '../../hack/lib/client-files.ts';
import { unmountUnder } from '../../hack/lib/mounts.ts';
import { describeLog, stopProcess, type ServiceProcess } from '../../hack/lib/process.ts';
import { randomPassword, startRegistry, type Registry, type RegistryKind } from '../../hack/lib/registry.ts';
import { seedBaseImage } from '../../hack/lib/seed.ts';
import { startKms, type KmsServer } from '../../hack/lib/kms.ts';

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
  /** oci only: refuse manifest writes to tags matching this regular expression. */
  readonly denyTags?: string;
}

export interface BuildkitdSpec {
  /** Registries buildkitd must reach (plain HTTP, or TLS through their CA). */
  readonly trust?: ReadonlyArray<Handle<TestRegistry>>;
  /** Also listen on TCP with mutual TLS (Buildkitd.tcp has the client's files). */
  readonly tcpTls?: boolean;
  /** Entitlements the daemon grants a build that asks for them with --allow. */
  readonly entitlements?: readonly string[];
}

/**
 * Declares a service for the enclosing scope (file or describe block): started in beforeAll, its log
 * printed when a test in that scope fails, stopped by PID and its folder removed in afterAll, even
 * when tests failed. vitest runs after-hooks in reverse order, so services stop before the ones they
 * were declared after (buildkitd before its registries). `start` reports the service's process
 * through `track` as soon as it runs, so a failure later in `start` still stops it.
 */
export function declareService<T>(
  name: string,
  start: (dir: string, track: (service: ServiceProcess) => void) => Promise<T>,
): Handle<T> {
  let value: T | undefined;
  let dir: string | undefined;
  const services: ServiceProcess[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `kb-${name}-`));
    value = await start(dir, (service) => services.push(service));
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const service of services) process.stderr.write(`${describeLog(service)}\n`);
    });
  });
  afterAll(async () => {
    for (const service of services.splice(0)) await stopProcess(service);
    if (dir) {
      // A service a test killed (a buildkitd sent SIGKILL) leaves its mounts in its folder.
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  });
  return () => {
    if (value === undefined) throw new Error(`${name} is not started: use the handle inside a test`);
    return value;
  };
}

/** A folder for the running test, removed when it finishes. Call it inside a test. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kb-${name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

export function useRegistry(spec: RegistrySpec): Handle<TestRegistry> {
  return declareService(`${spec.kind}-registry`, async (dir, track) => {
    const registry = await startRegistry({
      kind: spec.kind,
      dir,
      tls: spec.tls ?? false,
      ...(spec.denyTags ? { denyTags: spec.denyTags } : {}),
      ...(spec.auth ? { auth: { username: 'tester', password: randomPassword() } } : {}),
    });
    track(registry.process);
    const files = writeClientFiles(dir, [registry]);
    const baseImage = spec.seed ? await seedBaseImage(registry, files) : undefined;
    return { ...registry, files, ...(baseImage ? { baseImage } : {}) };
  });
}

export function useBuildkitd(spec: BuildkitdSpec = {}): Handle<Buildkitd> {
  return declareService('buildkitd', async (dir, track) => {
    const registries = (spec.trust ?? []).map((handle) => handle());
    const buildkitd = await startBuildkitd({
      dir,
      tcpTls: spec.tcpTls ?? false,
      ...(spec.entitlements ? { entitlements: spec.entitlements } : {}),
      registries: registries.map((registry) =>
        registry.caFile ? { host: registry.host, caFile: registry.caFile } : { host: registry.host, plainHttp: true },
      ),
    });
    track(buildkitd.process);
    return buildkitd;
  });
}

/** An AWS-KMS-compatible server (moto) for awskms:// keys. */
export function useKms(): Handle<KmsServer> {
  return declareService('kms', async (dir, track) => {
    const kms = await startKms(dir);
    track(kms.process);
    return kms;
  });
}

/** Client files (DOCKER_CONFIG, CA folder) that reach several registries at once. Call it inside a test. */
export function clientFilesFor(registries: readonly TestRegistry[]): ClientFiles {
  return writeClientFiles(scratchDir('clients'), registries);
}
