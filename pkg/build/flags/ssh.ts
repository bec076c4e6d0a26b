// --ssh, as buildx reads it (util/buildflags ParseSSHSpecs; BuildKit's sshprovider serves it):
//   default                 the agent at $SSH_AUTH_SOCK, under the ID "default"
//   ID=PATH[,PATH...]       an agent socket or private key files, under ID
// An empty ID means "default"; an ID may be given once.
import { KubectlBuildError } from '../../errors/index.ts';
import { flagError } from './errors.ts';

export interface SshFlag {
  readonly id: string;
  readonly paths: readonly string[];
}

export function parseSshFlag(value: string): SshFlag | undefined {
  if (value === '') return undefined;
  const eq = value.indexOf('=');
  return eq === -1 ? { id: value, paths: [] } : { id: value.slice(0, eq), paths: value.slice(eq + 1).split(',') };
}

/** Each ID with the sockets or keys that serve it (the agent when none is named). */
export function sshSources(flags: readonly SshFlag[], agentSocket: string | undefined): Array<{ id: string; paths: string[] }> {
  const seen = new Set<string>();
  return flags.map((flag) => {
    const id = flag.id === '' ? 'default' : flag.id;
    const shown = flag.paths.length > 0 ? `${flag.id}=${flag.paths.join(',')}` : flag.id;
    if (seen.has(id)) throw flagError('ssh', shown, `the ID "${id}" is given twice`, 'give each --ssh ID once');
    seen.add(id);
    const named = flag.paths.length === 1 && flag.paths[0] === '' ? [] : [...flag.paths];
    if (named.length > 0) return { id, paths: named };
    if (!agentSocket) {
      throw new KubectlBuildError('USAGE', `--ssh ${shown === '' ? '""' : shown} needs an ssh-agent, and SSH_AUTH_SOCK is not set`, {
        hint: `start one (eval "$(ssh-agent)" && ssh-add), or give a key: --ssh ${id}=~/.ssh/id_ed25519`,
      });
    }
    return { id, paths: [agentSocket] };
  });
}
