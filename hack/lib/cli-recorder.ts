// Stands in for cmd/run-cli.ts while hack/lib/startup-facts.ts loads the command modules: each
// module calls runCli when it loads, and this keeps its CliSpec instead of running it.
import type { CliSpec } from '../../cmd/run-cli.ts';

export const recordedSpecs = new Map<string, CliSpec>();

export async function runCli(spec: CliSpec): Promise<number> {
  recordedSpecs.set(spec.scriptName, spec);
  return 0;
}
