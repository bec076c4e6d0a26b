// What the local cluster leaves in this machine's firewall, and its removal on `hack/cluster down`:
// kube-proxy's and the kubelet's KUBE-* chains, and the per-pod chains the CNI bridge plugin made for
// our network (pods removed without a CNI DEL keep them), in both address families. Read with
// iptables-save and removed with one `iptables-restore --noflush` per table, as kube-proxy's own
// cleanup does: rules jumping into a removed chain are deleted first, then the chains are flushed
// and deleted.
import { execFileSync } from 'node:child_process';

const FAMILIES = ['iptables', 'ip6tables'] as const;
const TABLES = ['filter', 'nat', 'mangle'] as const;
/** The CNI bridge plugin marks its rules with the network's name (see cniConfig). */
const OUR_CNI_COMMENT = 'name: \\"kubectl-build\\"';

interface Table {
  readonly chains: readonly string[];
  /** `-A CHAIN ...` lines, as iptables-save prints them. */
  readonly rules: readonly string[];
}

export function parseIptablesSave(text: string): Table {
  const lines = text.split('\n');
  return {
    chains: lines.filter((line) => line.startsWith(':')).map((line) => line.slice(1).split(' ')[0] ?? ''),
    rules: lines.filter((line) => line.startsWith('-A ')),
  };
}

const chainOf = (rule: string) => rule.split(' ')[1] ?? '';
const targetOf = (rule: string) => / -[jg] (\S+)/.exec(rule)?.[1];

/** The iptables-restore input that removes our chains from `table` ('' when there are none). */
export function cleanupScript(tableName: string, table: Table): string {
  const ours = new Set(
    table.chains.filter(
      (chain) => chain.startsWith('KUBE-') || (chain.startsWith('CNI-') && table.rules.some((rule) => chainOf(rule) === chain && rule.includes(OUR_CNI_COMMENT))),
    ),
  );
  if (ours.size === 0) return '';
  const jumps = table.rules.filter((rule) => !ours.has(chainOf(rule)) && ours.has(targetOf(rule) ?? ''));
  return [
    `*${tableName}`,
    ...jumps.map((rule) => `-D ${rule.slice(3)}`),
    ...[...ours].map((chain) => `-F ${chain}`),
    ...[...ours].map((chain) => `-X ${chain}`),
    'COMMIT',
    '',
  ].join('\n');
}

/** Removes the cluster's chains from every table of both families; returns how many went. */
export function removeClusterFirewallRules(log: (message: string) => void = () => {}): number {
  let removed = 0;
  for (const family of FAMILIES) {
    for (const table of TABLES) {
      let saved: string;
      try {
        saved = execFileSync(`${family}-save`, ['-t', table], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      } catch {
        continue; // No such table or family on this machine.
      }
      const script = cleanupScript(table, parseIptablesSave(saved));
      if (script === '') continue;
      const chains = script.split('\n').filter((line) => line.startsWith('-X ')).length;
      log(`removing ${chains} chain(s) from ${family} table ${table}`);
      execFileSync(`${family}-restore`, ['--noflush', '-w'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
      removed += chains;
    }
  }
  return removed;
}
