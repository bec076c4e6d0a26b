// Node single executable applications (SEA), as make release makes them: the preparation blob
// holding the main script (dist/sea-main.cjs, which hack/bundle.ts makes with the digest of every
// file it carries) and the program (dist/main.js and its chunks) as assets, and the executable: a
// Node binary with the blob injected by postject. The blob is the same for every platform (no code
// cache or snapshot in it, which would tie it to the machine that made it).
import { execFile } from 'node:child_process';
import { chmod, copyFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How the program's Node runs, in the single executable and in install.sh's launchers alike. A
 * young generation of 1 MB: a context upload allocates little JavaScript but many short-lived
 * buffers (grpc-js frames every message into a copy), which are freed only when a scavenge finds
 * their small JS objects dead; with V8's default of 16 MB a scavenge came every few hundred MB
 * sent, and the peak RSS of 5 files of 200 MB was 160 MB against 95 MB for 10,000 small files.
 * With 1 MB both stay near 100 MB, and the upload took less CPU (1.8 s against 3.4-4 s of user
 * time); a cached build starts as fast.
 */
export const V8_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The fuse Node 24 looks for to know a blob was injected (doc/api/single-executable-applications.md). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface SeaInputs {
  /** The CommonJS main script. */
  readonly main: string;
  /** Asset name (a path inside dist/) -> the file holding it. */
  readonly assets: Readonly<Record<string, string>>;
}

/** What make build put in dist/ for the single executable. */
export async function seaInputs(dist: string): Promise<SeaInputs> {
  const chunks = (await readdir(join(dist, 'chunks'))).filter((file) => file.endsWith('.js'));
  const assets: Record<string, string> = { 'main.js': join(dist, 'main.js') };
  for (const chunk of chunks.sort()) assets[`chunks/${chunk}`] = join(dist, 'chunks', chunk);
  return { main: join(dist, 'sea-main.cjs'), assets };
}

/** Writes the preparation blob with `node` (the pinned version the executables are made from). */
export async function writeSeaBlob(node: string, inputs: SeaInputs, blob: string): Promise<void> {
  const config = `${blob}.json`;
  await writeFile(
    config,
    JSON.stringify({
      main: inputs.main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
      // Module hooks (cmd/sea-main.ts) are still experimental in Node 24: no notice about it.
      execArgv: ['--disable-warning=ExperimentalWarning', ...V8_FLAGS],
      assets: inputs.assets,
    }),
  );
  await run(node, ['--experimental-sea-config', config]);
}

/** Copies a Node binary to `output` and injects the blob: the single executable. */
export async function writeSeaExecutable(nodeBinary: string, blob: string, output: string): Promise<void> {
  await copyFile(nodeBinary, output);
  await chmod(output, 0o755);
  const postject = join('node_modules', 'postject', 'dist', 'cli.js');
  try {
    await run(process.execPath, [postject, output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  } catch (error) {
    throw new Error(`postject could not inject ${relative('.', blob)} into ${output}: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
  }
}
