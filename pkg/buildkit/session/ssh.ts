// SSH forwarding for RUN --mount=type=ssh: the daemon opens ForwardAgent for an ID and speaks the
// ssh-agent protocol through it. An ID is served by an agent socket (bytes piped both ways) or by
// private key files, answered by an in-process agent (ssh2's AgentProtocol): keys never leave us,
// only signatures do.
import { readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { AgentProtocol, utils, type ParsedKey } from 'ssh2';
import { KubectlBuildError } from '../../errors/index.ts';
import { buildkitProtocol } from '../proto.ts';
import type { SessionService } from './session.ts';

export type SshAgentSource = { readonly kind: 'socket'; readonly path: string } | { readonly kind: 'keys'; readonly keys: readonly ParsedKey[] };

/** --ssh ID=PATH[,PATH...]: one agent socket, or one or more private key files. */
export function sshAgentSource(id: string, paths: readonly string[]): SshAgentSource {
  if (paths.length === 1 && statSync(paths[0] as string, { throwIfNoEntry: false })?.isSocket()) {
    return { kind: 'socket', path: paths[0] as string };
  }
  const keys = paths.map((path) => {
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch {
      throw new KubectlBuildError('NOT_FOUND', `--ssh ${id}: cannot read ${path}`, { hint: 'give an ssh-agent socket or a private key file' });
    }
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error || (Array.isArray(parsed) && parsed.length === 0)) {
      const encrypted = parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message);
      throw new KubectlBuildError('USAGE', encrypted ? `--ssh ${id}: ${path} is protected by a passphrase` : `--ssh ${id}: ${path} is not a private key`, {
        hint: encrypted ? 'add the key to an ssh-agent (ssh-add) and use --ssh default' : 'give an ssh-agent socket or an unencrypted private key file',
      });
    }
    return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
  });
  return { kind: 'keys', keys };
}

type BytesCall = grpc.ServerDuplexStream<{ data: Buffer }, { data: Buffer }>;

export function sshService(sources: ReadonlyMap<string, SshAgentSource>): SessionService {
  return {
    definition: buildkitProtocol().services.ssh,
    implementation: {
      CheckAgent: (call: grpc.ServerUnaryCall<{ ID: string }, unknown>, callback: grpc.sendUnaryData<Record<string, never>>) => {
        const id = call.request.ID || 'default';
        if (sources.has(id)) callback(null, {});
        else callback({ code: grpc.status.NOT_FOUND, details: `no SSH agent for id "${id}": pass --ssh ${id}=...` }, null);
      },
      ForwardAgent: (call: BytesCall) => {
        const id = String(call.metadata.get('buildkit.ssh.id')[0] ?? 'default');
        const source = sources.get(id);
        if (!source) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: `no SSH agent for id "${id}"` });
          return;
        }
        pipe(call, source.kind === 'socket' ? createConnection(source.path) : keyAgent(source.keys));
      },
    },
  };
}

function pipe(call: BytesCall, agent: Duplex): void {
  call.on('data', (message: { data: Buffer }) => agent.write(message.data));
  call.on('end', () => agent.end());
  call.on('error', () => agent.destroy());
  agent.on('data', (data: Buffer) => call.write({ data }));
  agent.on('end', () => call.end());
  agent.on('error', (error: Error) => call.emit('error', { code: grpc.status.UNAVAILABLE, details: `SSH agent: ${error.message}` }));
}

// An ssh-agent that knows only the given keys: lists them, signs with them.
function keyAgent(keys: readonly ParsedKey[]): Duplex {
  const agent = new AgentProtocol(false);
  agent.on('identities', (request) => agent.getIdentitiesReply(request, [...keys]));
  agent.on('sign', (request, publicKey, data, options) => {
    const wanted = publicKey.getPublicSSH();
    const key = keys.find((candidate) => candidate.getPublicSSH().equals(wanted));
    const signature = key?.sign(data, options.hash);
    if (!key || !signature || signature instanceof Error) agent.failureReply(request);
    else agent.signReply(request, signature);
  });
  return agent;
}
