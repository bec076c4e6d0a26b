// Is a registry there and answering, asked from this machine? For a push this machine does not make
// (the builder pushes, and BuildKit reports no bytes while a layer uploads): a push whose progress
// went silent is told apart from a slow one by asking the registry something small ourselves.
// Only "connected, then nothing" counts as silent: a registry this machine cannot reach at all may
// still be reachable from the builder (another network), so that says nothing about the push.
import { Agent as HttpAgent, request as httpRequestRaw } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequestRaw } from 'node:https';

/**
 * answered: any answer, an HTTP error or a TLS alert included (something listens and speaks);
 * silent: the connection was accepted and nothing came back within the time;
 * unreachable: no connection (refused, no route, no name, or none within the time).
 */
export type ProbeOutcome = 'answered' | 'silent' | 'unreachable';

/** GET `url` (a registry's /v2/) on a connection of its own, without credentials: what became of it within `timeoutMs`. */
export function probeRegistry(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  const target = new URL(url);
  const tls = target.protocol === 'https:';
  const request = tls ? httpsRequestRaw : httpRequestRaw;
  // A connection of its own, kept alive as a registry client's are: asked to close, a server closes
  // once it has answered, and a proxy that drops the answer passes the close on (not silence).
  const agent = tls ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  return new Promise((resolve) => {
    let connected = false;
    // The certificate is not the question (nothing is sent but the path): a TLS answer is an answer.
    const outgoing = request(target, { method: 'GET', agent, rejectUnauthorized: false }, (response) => {
      response.destroy();
      settle('answered');
    });
    const timer = setTimeout(() => settle(connected ? 'silent' : 'unreachable'), timeoutMs);
    function settle(outcome: ProbeOutcome): void {
      clearTimeout(timer);
      outgoing.destroy();
      agent.destroy();
      resolve(outcome);
    }
    outgoing.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    outgoing.on('error', () => settle(connected ? 'answered' : 'unreachable'));
    outgoing.end();
  });
}
