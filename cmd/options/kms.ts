// --kms-timeout, defined once for the trust commands that read an awskms:// key's public half
// (verify, sweep, export): the same default and duration syntax; each says in its help what a KMS
// that does not answer leads to there. (kubectl build signs with KMS under --sign-timeout.)
import { last, parseDuration } from './sign.ts';

export interface KmsTimeoutArgv {
  'kms-timeout': string;
}

/** The default, also left out of what a sweep's CronJob is given. */
export const DEFAULT_KMS_TIMEOUT = '30s';

/** The yargs option; `consequence` ends its help: what no answer means for the command. */
export function kmsTimeoutOption(consequence: string) {
  return {
    type: 'string',
    default: DEFAULT_KMS_TIMEOUT,
    coerce: last,
    describe: `How long one KMS request (an awskms:// key's public half) may wait for an answer (e.g. 10s, 1m); ${consequence}`,
  } as const;
}

export function kmsTimeoutMs(argv: KmsTimeoutArgv): number {
  return parseDuration('kms-timeout', argv['kms-timeout']);
}
