// The one main() both executables share: parse flags with yargs, run the command, and turn any
// failure into one clear sentence, a hint and a documented exit code. Stacks only with --debug.
import yargs, { type Argv } from 'yargs';
import { KubectlBuildError, toKubectlBuildError, type ErrorCode } from '../pkg/errors/index.ts';
import { completionScript } from './completion-script.ts';
import { complete, type CompletionModel } from './completion.ts';
import { CommandExit, exitCodeFor } from './exit-codes.ts';

/**
 * How flags are read, for every command. Flags keep their dashed names only: otherwise an unknown
 * --foo-bar is reported twice ("foo-bar, fooBar") and the error no longer says what the user typed.
 * And no --no-X negation: docker's --no-cache is a flag of its own, not "cache: false".
 */
export const PARSER_CONFIGURATION = { 'camel-case-expansion': false, 'boolean-negation': false } as const;

export interface CliSpec {
  /** How kubectl shows the command: "kubectl build". */
  readonly scriptName: string;
  /** What shell completion offers; built only when completion is asked for. */
  readonly completion: () => CompletionModel;
  /** Adds commands and options to the parser. */
  readonly configure: (parser: Argv) => Argv;
  /** The exit code of a failure, when the command documents its own (default: exitCodeFor). */
  readonly exitCodeFor?: (code: ErrorCode) => number;
}

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Runs the CLI and returns the exit code (the caller sets process.exitCode). */
export async function runCli(spec: CliSpec, args: string[], io: CliIo = process): Promise<number> {
  const debug = args.includes('--debug');
  if (args[0] === '--get-yargs-completions') {
    // yargs' completion scripts pass the program name first; kubectl_complete-* does not.
    const words = args.slice(1);
    if (words[0]?.startsWith('kubectl-')) words.shift();
    const candidates = complete(spec.completion(), words);
    if (candidates.length > 0) io.stdout.write(`${candidates.join('\n')}\n`);
    return 0;
  }
  if (args[0] === 'completion' && args.length === 1) {
    // Before yargs: its completion command would also run the default command (a build of PATH "completion").
    io.stdout.write(completionScript(spec.scriptName.replace(/ /g, '-')));
    return 0;
  }
  try {
    const base = yargs(args);
    const parser = spec
      .configure(base)
      .scriptName(spec.scriptName)
      .option('debug', { type: 'boolean', default: false, describe: 'Show debug output, including stack traces' })
      .parserConfiguration(PARSER_CONFIGURATION)
      .strict()
      .demandCommand(1)
      .recommendCommands()
      // `completion` prints a bash/zsh script (answered above, before yargs; listed here for --help);
      // kubectl's own completion asks through kubectl_complete-<plugin> (hack/install.sh), which uses
      // --get-yargs-completions.
      .completion('completion', 'Print a bash or zsh completion script for this command')
      .help()
      .alias('h', 'help')
      .version(false)
      // runCli returns the exit code; the entry point sets it. yargs must not exit the process itself.
      .exitProcess(false)
      .wrap(Math.min(110, base.terminalWidth()))
      // yargs hands validation failures (unknown flag, missing argument) over as a message alone,
      // and failures thrown by a command handler as the error itself.
      .fail((message, thrown) => {
        throw thrown ?? new KubectlBuildError('USAGE', message, { hint: `run "${spec.scriptName} --help" for usage` });
      });
    await parser.parseAsync();
    return 0;
  } catch (thrown) {
    if (thrown instanceof CommandExit) return thrown.exitCode;
    const error = toKubectlBuildError(thrown);
    io.stderr.write(formatError(error, debug));
    return (spec.exitCodeFor ?? exitCodeFor)(error.code);
  }
}

export function formatError(error: KubectlBuildError, debug: boolean): string {
  let text = `error: ${error.message}\n`;
  if (error.hint) text += `hint: ${error.hint}\n`;
  if (debug) {
    text += `${error.stack ?? ''}\n`;
    if (error.cause instanceof Error) text += `caused by: ${error.cause.stack ?? error.cause.message}\n`;
  }
  return text;
}
