// A lone "-" on the command line (PATH "-": docker build's "the Dockerfile on stdin, no context").
// yargs drops it when it maps positionals, so it travels through the parser as a placeholder and is
// put back afterwards, in PATH and in any flag value (-f -).
const PLACEHOLDER = '\u0000-';

/** The arguments with every lone "-" replaced by the placeholder, before yargs reads them. */
export function protectLoneDashes(args: readonly string[]): string[] {
  return args.map((arg) => (arg === '-' ? PLACEHOLDER : arg));
}

/** yargs middleware: every placeholder in the parsed values becomes "-" again. */
export function restoreLoneDashes(argv: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(argv)) {
    if (value === PLACEHOLDER) argv[key] = '-';
    else if (Array.isArray(value)) argv[key] = value.map((item) => (item === PLACEHOLDER ? '-' : item));
  }
}
