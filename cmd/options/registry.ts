// --registry-timeout, defined once for every command that talks to registries (build, trust verify,
// trust sweep): the same default and duration syntax everywhere; each command says in its help what
// a registry that does not answer leads to there.
import { last, parseDuration } from './sign.ts';

/** The default, also left out of what a sweep's CronJob is given. */
export const DEFAULT_REGISTRY_TIMEOUT = '60s';

export interface RegistryTimeoutArgv {
  'registry-timeout': string;
}

/** The yargs option; `consequence` ends its help: what no answer means for the command. */
export function registryTimeoutOption(scope: string, consequence: string) {
  return {
    type: 'string',
    default: DEFAULT_REGISTRY_TIMEOUT,
    coerce: last,
    describe: `How long one registry request${scope} may wait for an answer (e.g. 10s, 2m); ${consequence}`,
  } as const;
}

export function registryTimeoutMs(argv: RegistryTimeoutArgv): number {
  return parseDuration('registry-timeout', argv['registry-timeout']);
}
