// What every executable does before it loads any of its code (the entries cmd/kubectl*.ts, and the
// single executable's cmd/sea-main.ts): refuse an old Node and a program name that is none of ours,
// each in one sentence, and answer help and unknown flags from facts gathered at build time by
// running the real commands (cmd/startup-facts.ts): what yargs prints, in a few milliseconds instead
// of the ~50 it takes to load yargs and the option definitions. Everything else goes to cmd/main.ts,
// a signing build with the cosign key's scrypt already started (cmd/key-head-start.ts). These
// modules and the facts are all an entry holds (hack/bundle.ts): they must parse on old Nodes.
import { startKeyHeadStart } from './key-head-start.ts';
import { NAMES_MARK, STARTUP_FACTS, WIDE_COLUMNS, type PluginFacts, type PluginName } from './startup-facts.ts';

const MINIMUM_NODE_MAJOR = 24;

export interface Invocation {
  readonly plugin: PluginName;
  /** Run as kubectl_complete-<plugin>: answer kubectl's completion request. */
  readonly completion: boolean;
}

export interface FastAnswer {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs what `programPath` names with `args` (the words after it): a fast answer, else cmd/main.ts. */
export async function runEntry(programPath: string, args: readonly string[]): Promise<void> {
  const invocation = startFast(programPath, args, process.env);
  if (!invocation) return;
  // Before the program loads: its loading and scrypt then run side by side.
  if (!invocation.completion) startKeyHeadStart(invocation.plugin, args, process.env);
  await (await import('./main.ts')).runPlugin(invocation, args);
}

/**
 * Answers what needs no command code and sets the exit code; returns the invocation when the
 * command must run. KUBECTL_BUILD_FAST_PATH=0 sends everything through yargs (to compare, and to
 * measure what the fast path saves).
 */
export function startFast(programPath: string, args: readonly string[], env: NodeJS.ProcessEnv): Invocation | undefined {
  const answer = refusal(programPath);
  const invocation = answer ? undefined : invocationFor(programPath);
  const fast =
    answer ??
    (invocation && !invocation.completion && STARTUP_FACTS !== undefined && env.KUBECTL_BUILD_FAST_PATH !== '0'
      ? fastAnswer(STARTUP_FACTS[invocation.plugin], args, process.stdout.columns)
      : undefined);
  if (!fast) return invocation;
  process.stdout.write(fast.stdout);
  process.stderr.write(fast.stderr);
  process.exitCode = fast.exitCode;
  return undefined;
}

/** An old Node (instead of failing deep inside a dependency), or a name that is none of ours. */
function refusal(programPath: string): FastAnswer | undefined {
  if (Number(process.versions.node.split('.')[0]) < MINIMUM_NODE_MAJOR) {
    return {
      stdout: '',
      stderr:
        `error: kubectl-build needs Node.js ${MINIMUM_NODE_MAJOR} or newer, and this is Node.js ${process.versions.node}.\n` +
        `hint: put Node.js ${MINIMUM_NODE_MAJOR} LTS first on PATH, or use the single executable from the release, which brings its own.\n`,
      // kubectl trust's 1 means "the policy does not hold": a Node that cannot run it is no verdict.
      exitCode: invocationFor(programPath)?.plugin === 'trust' ? 2 : 1,
    };
  }
  if (invocationFor(programPath)) return undefined;
  const name = programName(programPath);
  return {
    stdout: '',
    stderr:
      `error: this program is named "${name}", and it only runs as kubectl-build, kubectl-buildkit, kubectl-trust or their kubectl_complete- helpers\n` +
      `hint: give it (or a link to it) one of those names, e.g. ln -s ${name} kubectl-build\n`,
    exitCode: 2,
  };
}

/** The plugin a program path names ("/usr/local/bin/kubectl-build", "kubectl_complete-trust", "dist/kubectl-build.js"). */
export function invocationFor(programPath: string): Invocation | undefined {
  const match = /^kubectl(-|_complete-)(build|buildkit|trust)(?:\.js)?$/.exec(programName(programPath));
  return match ? { plugin: match[2] as PluginName, completion: match[1] === '_complete-' } : undefined;
}

function programName(programPath: string): string {
  return programPath.slice(programPath.lastIndexOf('/') + 1);
}

/**
 * The answer to `args` from the facts, or undefined. `columns` is the terminal's width, undefined
 * when stdout is not a terminal (help is then rendered as for a pipe).
 */
export function fastAnswer(facts: PluginFacts, args: readonly string[], columns: number | undefined): FastAnswer | undefined {
  const help = facts.help[args.join(' ')];
  if (help) {
    if (columns === undefined) return { stdout: help.plain, stderr: '', exitCode: 0 };
    // A narrower terminal wraps the help differently: yargs renders it.
    return columns >= WIDE_COLUMNS ? { stdout: help.wide, stderr: '', exitCode: 0 } : undefined;
  }
  const names = unknownFlagNames(facts, args);
  if (names === undefined) return undefined;
  const template = names.length === 1 ? facts.unknownFlag.one : facts.unknownFlag.many;
  return { stdout: '', stderr: template.replace(NAMES_MARK, names.join(', ')), exitCode: facts.unknownFlag.exitCode };
}

/**
 * The names, in order and once each, when every argument is a `--name` or `--name=value` the top
 * level does not know; otherwise undefined. Anything else (a known flag, whose value yargs may
 * check first; a positional; a short flag; completion requests) is left to yargs. A name starts
 * with a letter: yargs lists names in its argv object's key order, which puts integer-like keys first.
 */
function unknownFlagNames(facts: PluginFacts, args: readonly string[]): string[] | undefined {
  if (args.length === 0) return undefined;
  const names: string[] = [];
  for (const arg of args) {
    const name = /^--([a-z][a-z0-9-]*)(?:=|$)/.exec(arg)?.[1];
    if (name === undefined || facts.knownFlags.includes(name) || name.startsWith('get-yargs-completions')) return undefined;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}
