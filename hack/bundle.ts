// Bundles the executables with esbuild into dist/, in three parts. Run with Node 24: `node hack/bundle.ts`.
//
//   dist/main.js, dist/chunks/  the program (cmd/main.ts): ESM, with anything loaded by `await import()`
//                               split into chunks, so a command only pays for the modules it uses
//   dist/kubectl*.js            the entries: each one self-contained file that refuses an old Node or a
//                               wrong name and answers help and unknown flags (cmd/fast-path.ts), and
//                               loads dist/main.js for anything else. kubectl.js serves every name (the
//                               npm package's entry); kubectl-<plugin>.js one plugin (make install's)
//   dist/sea-main.cjs           the single executable's main script (cmd/sea-main.ts): the same fast
//                               path, then dist/main.js and its chunks from the executable's assets,
//                               each checked against the digest recorded here
//
// Two things are computed now and written into the bundle: the facts that answer help and unknown
// flags (hack/lib/startup-facts.ts runs the real commands), and the BuildKit protocol's descriptor
// (parsed from pkg/buildkit/proto/*.proto).
import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { parseProtoFiles, protoSources } from '../pkg/buildkit/proto-sources.ts';
import { heavyStaticInputs } from './lib/bundle-graph.ts';
import { gatherStartupFacts } from './lib/startup-facts.ts';

const entryPoints = ['cmd/kubectl.ts', 'cmd/kubectl-build.ts', 'cmd/kubectl-buildkit.ts', 'cmd/kubectl-trust.ts'];

/** Replaces `export const NAME: TYPE = undefined;` in a module by the value given, computed now. */
function inlineConstants(values: Record<string, Record<string, unknown>>): Plugin {
  return {
    name: 'inline-constants',
    setup(esbuild) {
      esbuild.onLoad({ filter: /\.ts$/ }, async (args) => {
        const constants = values[args.path];
        if (!constants) return undefined;
        let source = await readFile(args.path, 'utf8');
        for (const [name, value] of Object.entries(constants)) {
          const declaration = new RegExp(`^(export const ${name}: [^=]+= )undefined;$`, 'm');
          if (!declaration.test(source)) throw new Error(`${args.path} has no "export const ${name}: ... = undefined;" to fill in`);
          source = source.replace(declaration, (_, head: string) => `${head}${JSON.stringify(value)};`);
        }
        return { contents: source, loader: 'ts' };
      });
    },
  };
}

/** The entries' `import('./main.ts')` is the program bundled beside them: dist/main.js. */
const programBesideEntries: Plugin = {
  name: 'program-beside-entries',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\/main\.ts$/ }, () => ({ path: './main.js', external: true }));
  },
};

/**
 * node:http through require(). An ES module import of node:http makes Node read every export of
 * it, and one of them loads Node's own copy of undici: some 50 ms of every command that imports it
 * (the registry client does). A CommonJS module in between leaves its exports unread until used.
 */
const httpThroughRequire: Plugin = {
  name: 'http-through-require',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^(node:)?http$/ }, (args) => (args.namespace === 'http-through-require' ? { path: 'node:http', external: true } : { path: 'http', namespace: 'http-through-require' }));
    esbuild.onLoad({ filter: /.*/, namespace: 'http-through-require' }, () => ({ contents: "module.exports = require('node:http');", loader: 'js' }));
  },
};

/**
 * string-width on demand. Its module builds Unicode property regular expressions (RGI_Emoji and
 * others) and an Intl.Segmenter as it loads: some 30 ms of every command, since yargs' help layout
 * (cliui, wrap-ansi) imports it, while our help and usage text is printable ASCII, whose width is
 * its length (string-width's own first answer for such text). Every importer gets this stand-in,
 * which loads the real module, through require() (bundled, run on first use), for any other text.
 */
const stringWidthOnDemand: Plugin = {
  name: 'string-width-on-demand',
  setup(esbuild) {
    const namespace = 'string-width-on-demand';
    esbuild.onResolve({ filter: /^string-width$/ }, (args) => (args.namespace === namespace ? undefined : { path: 'string-width', namespace }));
    esbuild.onLoad({ filter: /.*/, namespace }, () => ({
      contents: [
        'let full;',
        'export default function stringWidth(text, options) {',
        "  if (typeof text === 'string' && /^[\\x20-\\x7e]*$/.test(text)) return text.length;",
        "  full ??= require('string-width').default;",
        '  return full(text, options);',
        '}',
      ].join('\n'),
      loader: 'js',
      resolveDir: process.cwd(),
    }));
  },
};

// A fresh dist/, but for what make release made from it (dist/release): the Makefile redoes that when dist/ changes.
const stale = (await readdir('dist').catch(() => [])).filter((name) => name !== 'release');
const [startupFacts] = await Promise.all([gatherStartupFacts(), ...stale.map((name) => rm(join('dist', name), { recursive: true, force: true }))]);
const inlined = inlineConstants({
  [resolve('cmd/startup-facts.ts')]: { STARTUP_FACTS: startupFacts },
  [resolve('pkg/buildkit/proto-sources.ts')]: { BUNDLED_PROTO_DESCRIPTOR: parseProtoFiles(protoSources()) },
});
const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  // Smaller bundles parse faster: start-up is most of what a quick command costs.
  minify: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [inlined, httpThroughRequire, stringWidthOnDemand],
};

const { metafile: programGraph } = (await build({
  ...common,
  entryPoints: ['cmd/main.ts'],
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // Prefer a package's ES module build: a dynamic import() of a CommonJS build puts its exports
  // under `default` in a split ESM bundle (the AWS SDK's KMSClient came out undefined).
  mainFields: ['module', 'main'],
  sourcemap: 'linked',
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
})) as { metafile: Metafile };
const { metafile: entriesGraph } = (await build({ ...common, entryPoints, outdir: 'dist', format: 'esm', plugins: [inlined, httpThroughRequire, stringWidthOnDemand, programBesideEntries] })) as { metafile: Metafile };

// What loads before a command runs (dist/main.js, and each command module's chunk) must not hold
// the heavy packages: those load with await import() where a command needs them. The entries
// hold nothing but the fast path.
const startupOutputs = Object.entries(programGraph.outputs)
  .filter(([, output]) => output.entryPoint === 'cmd/main.ts' || /^cmd\/[a-z]+-command\.ts$/.test(output.entryPoint ?? ''))
  .map(([path]) => path);
for (const output of startupOutputs) {
  const heavy = heavyStaticInputs(programGraph, output);
  if (heavy.length > 0) throw new Error(`${output} loads heavy modules at start-up (import them with await import() where needed):\n  ${[...new Set(heavy)].join('\n  ')}`);
}
const entryInputs = Object.keys(entriesGraph.inputs).filter((input) => !input.startsWith('cmd/'));
if (entryInputs.length > 0) throw new Error(`the entries must hold only the fast path, and they bundle:\n  ${entryInputs.join('\n  ')}`);
for (const entry of entryPoints) await chmod(`dist/${entry.slice('cmd/'.length, -'.ts'.length)}.js`, 0o755);

// The single executable's main script, with the digest of each file of the program it carries.
const digests: Record<string, string> = {};
for (const output of Object.keys(programGraph.outputs).filter((path) => path.endsWith('.js'))) {
  digests[output.slice('dist/'.length)] = createHash('sha256').update(await readFile(output)).digest('hex');
}
await build({
  ...common,
  entryPoints: ['cmd/sea-main.ts'],
  outfile: 'dist/sea-main.cjs',
  format: 'cjs',
  define: { KB_SEA_ASSETS: JSON.stringify(digests) },
  plugins: [inlined, programBesideEntries],
});

const bytes = Object.values(programGraph.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`bundled dist/main.js and its chunks (${(bytes / 1024).toFixed(0)} KiB), ${entryPoints.length} entries, the single executable's main script`);
