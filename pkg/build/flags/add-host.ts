// --add-host, as buildx reads it (a pflag StringSlice, so each value is itself a CSV list; then
// build.toBuildkitExtraHosts): HOST=IP or HOST:IP (`=` first, so `h:::1` is h at ::1), IP may be
// bracketed ([::1]), several IPs for one host are a quoted list ("h=10.0.0.1,10.0.0.2").
// host-gateway is refused: buildx resolves it only through a Docker engine's worker, and its
// kubernetes and remote drivers refuse it too.
import { isIPv4, isIPv6 } from 'node:net';
import { fieldsOf } from './attr-list.ts';
import { flagError } from './errors.ts';

const EXAMPLE = 'db.internal=10.0.0.5';

/** The values as pflag's StringSlice collects them: every value split as CSV. */
export function splitSliceFlag(flag: string, values: readonly string[]): string[] {
  return values.flatMap((value) => (value === '' ? [] : fieldsOf(flag, value, EXAMPLE)));
}

/** The frontend's `add-hosts` attribute (HOST=IP,...), or "" when there are none. */
export function parseAddHosts(values: readonly string[]): string {
  const hosts: string[] = [];
  for (const value of splitSliceFlag('add-host', values)) {
    let cut = value.indexOf('=');
    if (cut === -1) cut = value.indexOf(':');
    const host = cut === -1 ? '' : value.slice(0, cut);
    const address = cut === -1 ? '' : value.slice(cut + 1);
    if (host === '' || address === '') throw flagError('add-host', value, 'it is not HOST=IP or HOST:IP', `e.g. --add-host ${EXAMPLE}`);
    if (address === 'host-gateway') {
      throw flagError('add-host', value, 'host-gateway needs a Docker engine to name the host, and a BuildKit daemon has none', 'give the address itself, e.g. the node\'s IP');
    }
    for (const one of address.split(',')) {
      const ip = one.length > 2 && one.startsWith('[') && one.endsWith(']') ? one.slice(1, -1) : one;
      if (!isGoIP(ip)) throw flagError('add-host', value, `"${one}" is not an IP address`, `e.g. --add-host ${EXAMPLE} or --add-host "v6.internal=[2001:db8::1]"`);
      hosts.push(`${host}=${ip}`);
    }
  }
  return hosts.join(',');
}

// Go's net.ParseIP: dotted IPv4 without leading zeros, IPv6 without a zone.
function isGoIP(text: string): boolean {
  return isIPv4(text) || (isIPv6(text) && !text.includes('%'));
}
