// --request-timeout: how long one Kubernetes API request may take, with kubectl's flag name and
// value format (client-go's ParseTimeout): a whole number alone is seconds, anything else is a Go
// duration ("5s", "1m30s", "500ms"), 0 means no bound. kubectl's default is 0; ours is 30 s, so
// that an API server that accepts connections and never answers fails a CI job in seconds, not
// after fetch's own 300 s. No Kubernetes client here: the flags' definitions import this.
import { KubectlBuildError } from '../errors/index.ts';

export const DEFAULT_REQUEST_TIMEOUT = '30s';

// Go's time.ParseDuration units, in nanoseconds (both spellings of micro).
const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in milliseconds; undefined where Go would return an error. */
function goDurationMs(value: string): number | undefined {
  const match = /^([-+]?)(.+)$/.exec(value);
  const body = match?.[2] ?? '';
  if (body === '0') return 0;
  const parts = [...body.matchAll(/(\d*)(?:\.(\d*))?([^\d.]+)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== body) return undefined;
  let ns = 0;
  for (const [, whole = '', fraction, unit = ''] of parts) {
    // Go wants a digit on one side of the point at least: ".5s" and "5.s" are durations, ".s" is not.
    if (whole === '' && !fraction) return undefined;
    const scale = UNIT_NS[unit];
    if (scale === undefined) return undefined;
    ns += Number(`${whole || '0'}.${fraction ?? ''}0`) * scale;
  }
  return (match?.[1] === '-' ? -ns : ns) / 1e6;
}

/**
 * kubectl's --request-timeout value in milliseconds; 0 for no bound. Negative durations are taken,
 * as kubectl takes them, and bound nothing (Go's http.Client ignores a timeout under zero). Empty is
 * "not given": the default.
 */
export function parseRequestTimeout(value: string | undefined): number {
  const given = value === undefined || value === '' ? DEFAULT_REQUEST_TIMEOUT : value;
  // client-go: a whole number of at least 0 is seconds ("-1" is no duration: Go wants a unit).
  if (/^[-+]?\d+$/.test(given) && Number(given) >= 0) return Math.abs(Number(given)) * 1000;
  const ms = goDurationMs(given);
  if (ms === undefined) {
    throw new KubectlBuildError('USAGE', `--request-timeout "${given}" is not a timeout`, {
      hint: 'give a whole number of seconds, or a number with its unit (e.g. 1s, 2m, 3h); 0 waits without a bound',
    });
  }
  return Math.max(ms, 0);
}

/** "2 s", "1.5 s", "90 s": how long, for a sentence. */
export function timeoutWords(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Whether `error` is a request given up by the timeout above (fetch rejects with the signal's TimeoutError). */
export function isRequestTimeout(error: unknown): boolean {
  for (let current: unknown = error; current && typeof current === 'object'; current = (current as { cause?: unknown }).cause) {
    if ((current as { name?: unknown }).name === 'TimeoutError') return true;
  }
  return false;
}
