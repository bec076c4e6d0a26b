// Gathers the facts of cmd/startup-facts.ts at build time by running the real commands: each
// plugin's help (as printed to a pipe, and to a terminal of WIDE_COLUMNS), the option names its top
// level knows, and what it prints for unknown flags. yargs reads the terminal's width once, when it
// loads, so each width is rendered by a child process (this file run as a script) that sets the
// width before it loads anything. The command modules run themselves when they load; a module hook
// hands them hack/lib/cli-recorder.ts in place of cmd/run-cli.ts, so that loading them yields their
// CliSpec and runs nothing.
import { execFile } from 'node:child_process';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Argv } from 'yargs';
import type { CliSpec } from '../../cmd/run-cli.ts';
import { NAMES_MARK, WIDE_COLUMNS, type PluginFacts, type PluginName, type StartupFacts } from '../../cmd/startup-facts.ts';
import { recordedSpecs } from './cli-recorder.ts';

const PLUGINS: ReadonlyArray<PluginName> = ['build', 'buildkit', 'trust'];

/** What one width gives: help by arguments, and the rest of the facts. */
type Rendered = Record<PluginName, Omit<PluginFacts, 'help'> & { readonly help: Record<string, string> }>;

export async function gatherStartupFacts(): Promise<StartupFacts> {
  const render = async (columns?: number) =>
    JSON.parse((await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), ...(columns ? [String(columns)] : [])], { maxBuffer: 16 << 20 })).stdout) as Rendered;
  const [plain, wide] = await Promise.all([render(), render(WIDE_COLUMNS)]);
  const facts = {} as Record<PluginName, PluginFacts>;
  for (const plugin of PLUGINS) {
    const help = Object.fromEntries(Object.entries(plain[plugin].help).map(([args, text]) => [args, { plain: text, wide: wide[plugin].help[args] as string }]));
    facts[plugin] = { ...plain[plugin], help };
  }
  return facts;
}

async function renderAll(): Promise<Rendered> {
  const specs = await loadSpecs();
  const rendered = {} as Rendered;
  for (const plugin of PLUGINS) rendered[plugin] = await renderPlugin(specs.get(`kubectl ${plugin}`) as CliSpec);
  return rendered;
}

async function loadSpecs(): Promise<ReadonlyMap<string, CliSpec>> {
  const recorder = new URL('./cli-recorder.ts', import.meta.url).href;
  const hooks = registerHooks({
    resolve: (specifier, context, next) =>
      specifier === './run-cli.ts' && /\/cmd\/[a-z]+-command\.ts$/.test(context.parentURL ?? '')
        ? { url: recorder, shortCircuit: true }
        : next(specifier, context),
  });
  try {
    for (const plugin of PLUGINS) await import(new URL(`../../cmd/${plugin}-command.ts`, import.meta.url).href);
  } finally {
    hooks.deregister();
  }
  for (const plugin of PLUGINS) {
    if (!recordedSpecs.has(`kubectl ${plugin}`)) throw new Error(`cmd/${plugin}-command.ts did not call runCli with scriptName "kubectl ${plugin}"`);
  }
  return recordedSpecs;
}

async function renderPlugin(spec: CliSpec): Promise<Rendered[PluginName]> {
  const help: Record<string, string> = {};
  const subcommands = Object.keys(spec.completion().subcommands ?? {});
  for (const words of [[], ...subcommands.map((name) => [name])]) {
    for (const flag of ['--help', '-h']) {
      const args = [...words, flag];
      const result = await run(spec, args);
      if (result.exitCode !== 0 || result.stderr !== '' || !result.stdout) throw new Error(`${spec.scriptName} ${args.join(' ')} printed no help`);
      help[args.join(' ')] = result.stdout;
    }
  }
  const { options } = await run(spec, ['--help']);
  const knownFlags = [...new Set([...Object.keys(options.key), ...Object.entries(options.alias).flat(2)])];
  if (!knownFlags.includes('help') || !knownFlags.includes('debug')) throw new Error(`${spec.scriptName}: no option names seen while it printed its help`);
  return { help, knownFlags, unknownFlag: await unknownFlag(spec) };
}

/** What the top level prints for one and for two unknown flags, the names replaced by NAMES_MARK. */
async function unknownFlag(spec: CliSpec): Promise<PluginFacts['unknownFlag']> {
  const one = await run(spec, ['--kb-probe-one']);
  const two = await run(spec, ['--kb-probe-one', '--kb-probe-two']);
  if (one.exitCode === 0 || one.stdout !== '' || two.exitCode !== one.exitCode) throw new Error(`${spec.scriptName}: an unknown flag is not a usage error`);
  if (!one.stderr.includes('kb-probe-one')) {
    // The names are not in the message (a missing command comes first): the same text for any unknown flags.
    if (two.stderr !== one.stderr) throw new Error(`${spec.scriptName}: unknown flags print different messages that do not name them`);
    return { one: one.stderr, many: one.stderr, exitCode: one.exitCode };
  }
  const many = two.stderr.replace('kb-probe-one, kb-probe-two', NAMES_MARK);
  if (!many.includes(NAMES_MARK)) throw new Error(`${spec.scriptName}: two unknown flags are not listed as "a, b"`);
  return { one: one.stderr.replace('kb-probe-one', NAMES_MARK), many, exitCode: one.exitCode };
}

interface ParserOptions {
  readonly key: Record<string, unknown>;
  readonly alias: Record<string, string[]>;
}

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** The parser's options when the help was printed (the default command's included). */
  readonly options: ParserOptions;
}

/** Runs the real runCli with `args`, collecting what it prints (yargs prints help with console.log). */
async function run(spec: CliSpec, args: string[]): Promise<Run> {
  const { runCli } = await import('../../cmd/run-cli.ts');
  let parser: Argv | undefined;
  let options: ParserOptions = { key: {}, alias: {} };
  let stdout = '';
  let stderr = '';
  const captured: CliSpec = {
    ...spec,
    configure: (base) => {
      parser = base;
      return spec.configure(base);
    },
  };
  const write = process.stdout.write;
  process.stdout.write = ((text: string) => {
    if (parser) options = (parser as unknown as { getOptions(): ParserOptions }).getOptions();
    stdout += text;
    return true;
  }) as typeof process.stdout.write;
  try {
    const exitCode = await runCli(captured, args, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
    return { stdout, stderr, exitCode, options };
  } finally {
    process.stdout.write = write;
  }
}

// As a script: node hack/lib/startup-facts.ts [COLUMNS] prints what that terminal width renders.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const columns = process.argv[2];
  if (columns) Object.defineProperty(process.stdout, 'columns', { value: Number(columns), configurable: true });
  process.stdout.write(JSON.stringify(await renderAll()));
}
