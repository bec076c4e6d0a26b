// What the executables know before they load yargs: the help each plugin prints, rendered at build
// time, and what its top level answers to an unknown flag. From source there are none, and every
// command goes through yargs; hack/bundle.ts replaces this module's body with the facts it gathers
// by running the real commands (hack/lib/startup-facts.ts), so the fast paths print exactly what
// yargs would.

export type PluginName = 'build' | 'buildkit' | 'trust';

/** A terminal this wide or wider gets the same help as one of exactly this width (cmd/run-cli.ts wraps at 110). */
export const WIDE_COLUMNS = 110;

/** Stands for the unknown flag names in `PluginFacts.unknownFlag`. */
export const NAMES_MARK = '\u0000';

export interface PluginFacts {
  /** Help by argument vector (joined by a space): as printed to a pipe, and to a terminal of WIDE_COLUMNS or more. */
  readonly help: Readonly<Record<string, { readonly plain: string; readonly wide: string }>>;
  /** Every option name and alias the top level knows (`--help` and `--debug` included). */
  readonly knownFlags: readonly string[];
  /** What the top level prints (NAMES_MARK: the names, comma-separated) when every argument is an unknown `--flag`. */
  readonly unknownFlag: { readonly one: string; readonly many: string; readonly exitCode: number };
}

export type StartupFacts = Readonly<Record<PluginName, PluginFacts>>;

export const STARTUP_FACTS: StartupFacts | undefined = undefined;
