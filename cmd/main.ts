// Running a plugin, for the executables (cmd/kubectl*.ts and the single executable) once their fast
// path (cmd/fast-path.ts) has found it needs the command: the name they ran as picked the plugin;
// its command module parses process.argv and runs when it loads, and nothing of it loads before.
import type { Invocation } from './fast-path.ts';
import type { PluginName } from './startup-facts.ts';
import { ExitCode, VerifyExitCode } from './exit-codes.ts';
import { exitWhenFlushed, prepareStartup } from './startup.ts';

const COMMANDS: Readonly<Record<PluginName, () => Promise<unknown>>> = {
  build: () => import('./build-command.ts'),
  buildkit: () => import('./buildkit-command.ts'),
  trust: () => import('./trust-command.ts'),
};

export async function runPlugin(invocation: Invocation, args: readonly string[]): Promise<void> {
  // kubectl trust's 1 is a verdict ("the policy does not hold"): a broken program must not say it.
  prepareStartup(invocation.plugin === 'trust' ? VerifyExitCode.UNDECIDED : ExitCode.FAILURE);
  // A completion helper asks the plugin through the flag yargs' completion scripts use.
  process.argv.splice(2, Infinity, ...(invocation.completion ? ['--get-yargs-completions', ...args] : args));
  await COMMANDS[invocation.plugin]();
  // kubectl reads a cobra directive after the candidates: 0 lets the shell complete file names too (paths, -f).
  if (invocation.completion) process.stdout.write(':0\n');
  exitWhenFlushed();
}
