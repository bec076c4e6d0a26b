// Bundles the two executables with esbuild: one ESM file each in dist/, shared code and anything
// loaded with `await import()` split into dist/chunks/, so a command only pays for the modules it
// uses (`--help` loads none of the heavy ones). Run with Node 24: `node hack/bundle.ts`.
import { chmod, cp, rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { heavyStaticInputs } from './lib/bundle-graph.ts';

const entryPoints = ['cmd/kubectl-build.ts', 'cmd/kubectl-buildkit.ts'];

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
  sourcemap: 'linked',
  // Smaller bundles parse faster: start-up is most of what a --help or a quick command costs.
  minify: true,
  metafile: true,
  logLevel: 'warning',
  // CommonJS dependencies call require() for Node built-ins; an ESM bundle has no require of its own.
  banner: {
    js: "import { createRequire as __kbCreateRequire } from 'node:module'; const require = __kbCreateRequire(import.meta.url);",
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
