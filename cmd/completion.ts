// Shell completion: flags of the command being typed (with their choices), and subcommands. Answers
// `--get-yargs-completions WORDS...` (what kubectl_complete-<plugin> and yargs' completion scripts
// ask), from the same flag definitions the commands parse with.
import yargs, { type Argv } from 'yargs';

export interface CompletionModel {
  /** Long flag names (without dashes), whether they take a value, and their choices. */
  readonly flags: ReadonlyArray<{ readonly name: string; readonly takesValue: boolean; readonly choices?: readonly string[] }>;
  readonly subcommands?: Readonly<Record<string, CompletionModel>>;
}

interface ParserOptions {
  key: Record<string, boolean>;
  boolean: string[];
  alias: Record<string, string[]>;
  choices: Record<string, string[]>;
  hiddenOptions: string[];
}

/** The flags a parser knows after `define` added them (aliases left out: one name each). */
export function completionModel(define: (parser: Argv) => Argv, subcommands?: Record<string, CompletionModel>): CompletionModel {
  const options = (define(yargs([])) as unknown as { getOptions(): ParserOptions }).getOptions();
  const aliases = new Set(Object.values(options.alias).flat());
  const flags = Object.keys(options.key)
    .filter((name) => !aliases.has(name) && name !== 'version' && name !== 'path' && !options.hiddenOptions.includes(name))
    .map((name) => ({ name, takesValue: !options.boolean.includes(name), ...(options.choices[name] ? { choices: options.choices[name] } : {}) }));
  return { flags: [...flags, { name: 'debug', takesValue: false }], ...(subcommands ? { subcommands } : {}) };
}

/** Candidates for the last word of `words` (the words typed after the command, the last one partial). */
export function complete(model: CompletionModel, words: readonly string[]): string[] {
  let active = model;
  for (const word of words.slice(0, -1)) {
    const sub = active.subcommands?.[word];
    if (sub) active = sub;
  }
  const current = words[words.length - 1] ?? '';
  const previous = words[words.length - 2];
  const valueOf = previous?.startsWith('--') ? active.flags.find((flag) => flag.name === previous.slice(2) && flag.takesValue) : undefined;
  if (valueOf) return (valueOf.choices ?? []).filter((choice) => choice.startsWith(current));
  if (current.startsWith('-')) {
    return active.flags.map((flag) => `--${flag.name}`).filter((flag) => flag.startsWith(current));
  }
  return Object.keys(active.subcommands ?? {}).filter((name) => name.startsWith(current));
}
