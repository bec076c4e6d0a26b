// Bundles the two executables with esbuild: one ESM file each in dist/, shared code and anything
// loaded with `await import()` split into dist/chunks/, so a command only pays for the modules it
// uses (`--help` loads none of the heavy ones). Run with Node 24: `node hack/bundle.ts`.
import { chmod, cp, rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { heavyStaticInputs } from './lib/bundle-graph.ts';

const entryPoints = ['cmd/kubectl-build.ts', 'cmd/kubectl-buildkit.ts', 'cmd/kubectl-trust.ts'];

await rm('dist', { recursive: true, force: true });
const result = await build({
  entryPoints,
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // Prefer a package's ES module build: a dynamic import() of a CommonJS build puts its exports
  // under `default` in a split ESM bundle (the AWS SDK's KMSClient came out undefined).
  mainFields: ['module', 'main'],
  sourcemap: 'linked',
  // Smaller bundles parse faster: start-up is most of what a --help or a quick command costs.
  minify: true,
  metafile: true,
  logLevel: 'warning',
  // Native addons (ssh2's optional crypto, cpu-features) are not bundled: their packages load them
  // inside try/catch and fall back to plain JavaScript when they are absent.
  external: ['*.node'],
  // CommonJS dependencies call require() and read __dirname/__filename; an ESM bundle has none.
  banner: {
    js: [
      "import { createRequire as __kbCreateRequire } from 'node:module';",
      "import { fileURLToPath as __kbFileURLToPath } from 'node:url';",
      'const require = __kbCreateRequire(import.meta.url);',
      'const __filename = __kbFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
});

for (const entry of entryPoints) {
  const output = `dist/${entry.replace(/^cmd\//, '').replace(/\.ts$/, '.js')}`;
  await chmod(output, 0o755);
  // The entry and its command chunk load before anything runs; heavy packages must not be there.
  const command = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === entry)?.[1].imports
    .filter((i) => i.kind === 'dynamic-import').map((i) => i.path) ?? [];
  const heavy = [output, ...command].flatMap((o) => heavyStaticInputs(result.metafile, o));
  if (heavy.length > 0) {
    console.error(`${entry} loads heavy modules at start-up (import them with await import() where needed):\n  ${[...new Set(heavy)].join('\n  ')}`);
    process.exit(1);
  }
}
// The BuildKit protocol definitions, read by pkg/buildkit/proto.ts at run time (from dist/chunks/../proto).
await cp('pkg/buildkit/proto', 'dist/proto', { recursive: true, filter: (source) => !source.endsWith('.ts') });

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`bundled ${entryPoints.length} executables into dist/ (${(bytes / 1024).toFixed(0)} KiB in all)`);
